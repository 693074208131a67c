/* elf.h: the shared-library closure of an executable, read from its ELF headers. */
#pragma once

#include "vmbench/error.h"

/* The absolute host paths of exe's shared-library closure, the program
 * interpreter included, read from the ELF files themselves (PT_INTERP,
 * DT_NEEDED, DT_RUNPATH, DT_RPATH). Each library is found where the host's
 * loader would look, in its order: the DT_RPATH of the object and of those
 * that loaded it (only when the object has no DT_RUNPATH), $LD_LIBRARY_PATH,
 * the object's DT_RUNPATH ($ORIGIN expanded in all three), the directories
 * named in /etc/ld.so.conf (and the files it includes), then the system
 * directories; a candidate of another ELF class or machine is passed over, as
 * the loader does. Hardware-capability subdirectories are not searched. A
 * NULL-terminated malloc'd array of malloc'd strings (vmb_strv_free). A
 * static executable has an empty closure. NULL with err set on failure (a
 * library not found, a file that is not 64-bit ELF or is malformed). */
char **vmb_elf_closure(const char *exe, struct vmb_error *err);

/* Appends to *dirs (a NULL-terminated malloc'd array, NULL to start with;
 * vmb_strv_free) the absolute directories named in `conf`, a file in
 * ld.so.conf's format, in the order listed: `include PATTERN...` lines are
 * followed (glob patterns, a relative one taken from conf's directory; the
 * matches in sorted order), comments, hwcap lines, relative directories and
 * directories already in *dirs are skipped, trailing slashes dropped. A
 * missing file adds nothing. 0, or -1 with err set (a file that cannot be
 * read, includes nested more than 8 deep, no memory); *dirs keeps what was
 * added before a failure. */
int vmb_ldconf_dirs(const char *conf, char ***dirs, struct vmb_error *err);
