/* true.c: vmbench-true, the smallest program the exec workload can start: static, no C
 * library, no loader, no start files; its entry point makes the exit system call at once. */

/* The entry point, in assembly: there is no stack frame to set up and
 * nothing to return to. The workload's "exec" is this program's whole run. */
#if defined(__x86_64__)
__asm__(".text\n"
        ".globl _start\n"
        ".type _start, @function\n"
        "_start:\n"
        "\txorl %edi, %edi\n" /* status 0 */
        "\tmovl $60, %eax\n"  /* SYS_exit */
        "\tsyscall\n"
        "\thlt\n"
        ".size _start, . - _start\n");
#elif defined(__aarch64__)
__asm__(".text\n"
        ".globl _start\n"
        ".type _start, %function\n"
        "_start:\n"
        "\tmov x0, #0\n"  /* status 0 */
        "\tmov x8, #93\n" /* SYS_exit */
        "\tsvc #0\n"
        ".size _start, . - _start\n");
#else
#error "vmbench-true: no entry point for this architecture (add its exit system call)"
#endif
