/* cpuid.c: the CPUID a vCPU is offered: what KVM supports, its APIC id, the hypervisor
 * bit (without it a Linux guest finds no kvm-clock and its TSC calibration hangs), and,
 * under an emulator, no XSAVE or AVX (the emulator's XSAVE sizes disagree). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "runners/vm/vmm.h"

#define CPUID_MAX_ENTRIES 128

int vmm_cpuid_set(struct vmm *v, struct vmm_vcpu *c, struct vmb_error *err)
{
	struct {
		struct kvm_cpuid2 h;
		struct kvm_cpuid_entry2 e[CPUID_MAX_ENTRIES];
	} cpuid = {.h.nent = CPUID_MAX_ENTRIES};

	if (ioctl(v->kvm, KVM_GET_SUPPORTED_CPUID, &cpuid) < 0)
		return vmb_error_sys(err, errno, "KVM_GET_SUPPORTED_CPUID (%d entries at most)",
		                     CPUID_MAX_ENTRIES);
	for (uint32_t i = 0; i < cpuid.h.nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid.e[i];
		switch (e->function) {
		case 1:
			e->ecx |= 1u << 31; /* hypervisor present */
			e->ebx = (e->ebx & 0x00ffffffu) | ((uint32_t)c->id << 24);
			if (v->emulated)
				e->ecx &= ~((1u << 26) | (1u << 27) |
				            (1u << 28)); /* XSAVE, OSXSAVE, AVX */
			break;
		case 7:
			if (v->emulated && e->index == 0)
				e->ebx &= ~((1u << 5) | (1u << 16) | (1u << 17) | (1u << 28) |
				            (1u << 30) | (1u << 31)); /* AVX2, AVX-512 */
			break;
		case 0xb:
		case 0x1f:
			e->edx = (uint32_t)c->id; /* x2APIC id */
			break;
		case 0xd:
			if (v->emulated)
				memset(&e->eax, 0, 4 * sizeof(uint32_t));
			break;
		default:
			break;
		}
	}
	if (ioctl(c->fd, KVM_SET_CPUID2, &cpuid) < 0)
		return vmb_error_sys(err, errno, "KVM_SET_CPUID2 on vCPU %d", c->id);
	if (c->id == 0) {
		json_t *o = json_object();
		for (uint32_t i = 0; i < cpuid.h.nent; i++) {
			struct kvm_cpuid_entry2 *e = &cpuid.e[i];
			if ((e->function == 1 || e->function == 7 || e->function == 0x80000001) &&
			    e->index == 0) {
				char key[24], val[64];
				snprintf(key, sizeof(key), "0x%x", e->function);
				snprintf(val, sizeof(val), "eax=%08x ebx=%08x ecx=%08x edx=%08x",
				         e->eax, e->ebx, e->ecx, e->edx);
				json_object_set_new(o, key, json_string(val));
			}
		}
		json_object_set_new(o, "masked_for_emulator", json_boolean(v->emulated));
		json_decref(v->cpuid_offered);
		v->cpuid_offered = o;
	}
	return 0;
}
