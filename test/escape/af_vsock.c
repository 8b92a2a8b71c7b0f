/*
 * Class: af_vsock — create an AF_VSOCK socket (guest <-> hypervisor channel).
 * Source: issue 8; vsock reaches the VM host's services, outside any network
 * namespace, and has had its share of kernel bugs (CVE-2021-26708).
 * Usage: af_vsock   (no connection is attempted: the host's services are not ours to poke)
 * BLOCKED: socket(AF_VSOCK) fails (EPERM/EACCES from the policy, EAFNOSUPPORT
 * where the family is denied or absent). ESCAPED: the socket was created.
 */
#define ESCAPE_CLASS "af_vsock"
#include "escape.h"
#include <sys/socket.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

int main(void)
{
  int s = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) escape_blocked("socket(AF_VSOCK, SOCK_STREAM) = -1 %s", escape_errname(errno));
  escape_escaped("socket(AF_VSOCK, SOCK_STREAM) = %d", s);
}
