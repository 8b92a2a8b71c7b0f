/*
 * Class: af_alg — create and bind an AF_ALG (kernel crypto API) socket.
 * Source: issue 8; AF_ALG exposes a large kernel attack surface to unprivileged
 * code (CVE-2017-17805, CVE-2015-8970) and no sandbox needs it.
 * Usage: af_alg
 * BLOCKED: socket(AF_ALG) fails (EPERM/EACCES from the policy; EAFNOSUPPORT
 * where the family is denied or the kernel lacks CRYPTO_USER_API).
 * ESCAPED: the socket was created (the bind result is reported too).
 */
#define ESCAPE_CLASS "af_alg"
#include "escape.h"
#include <linux/if_alg.h>
#include <sys/socket.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif

int main(void)
{
  int s = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (s < 0) escape_blocked("socket(AF_ALG) = -1 %s", escape_errname(errno));
  struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "hash", .salg_name = "sha256" };
  int b = bind(s, (struct sockaddr *)&sa, sizeof sa);
  escape_escaped("socket(AF_ALG) = %d, bind(hash/sha256) = %s", s, b ? escape_errname(errno) : "0");
}
