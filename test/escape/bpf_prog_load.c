/*
 * Class: bpf_prog_load — load an eBPF program with bpf(BPF_PROG_LOAD).
 * Source: issue 4 ("bpf"); the eBPF verifier is a recurring source of kernel
 * privilege escalations (CVE-2021-3490, CVE-2022-23222, CVE-2023-2163).
 * Usage: bpf_prog_load   (a two-instruction socket filter "return 0", never attached)
 * BLOCKED: EPERM/EACCES/ENOSYS (policy, kernel.unprivileged_bpf_disabled).
 * ESCAPED: the verifier accepted it and returned a program fd (or failed it
 * with EINVAL: the request reached the verifier).
 */
#define ESCAPE_CLASS "bpf_prog_load"
#include "escape.h"
#include <linux/bpf.h>
#include <stdint.h>
#include <sys/syscall.h>

int main(void)
{
  struct bpf_insn insns[2] = {
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
    { .code = BPF_JMP | BPF_EXIT },
  };
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insn_cnt = 2;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.license = (uint64_t)(uintptr_t) "GPL";
  long fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
  escape_verdict_call("bpf(BPF_PROG_LOAD, socket filter)", fd, errno);
}
