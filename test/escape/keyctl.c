/*
 * Class: keyctl — use the kernel keyring (add_key, keyctl).
 * Source: issue 4 ("keyctl"); keyrings are not namespaced, so a sandboxed
 * process can read or plant keys in the user's keyrings (Docker and systemd
 * filter add_key/keyctl/request_key for this reason; CVE-2016-0728).
 * Usage: keyctl   (the key goes into this process's own process keyring and
 * vanishes with it)
 * BLOCKED: add_key and keyctl(GET_KEYRING_ID, user keyring) both fail with a
 * policy errno. ESCAPED: either one worked.
 */
#define ESCAPE_CLASS "keyctl"
#include "escape.h"
#include <sys/syscall.h>

#define KEY_SPEC_PROCESS_KEYRING_ -2
#define KEY_SPEC_USER_KEYRING_ -4
#define KEYCTL_GET_KEYRING_ID_ 0

int main(void)
{
  char a[128], k[128];
  long key = syscall(SYS_add_key, "user", "sbx-escape", "x", (size_t)1, KEY_SPEC_PROCESS_KEYRING_);
  escape_ret(a, sizeof a, "add_key(user, process keyring)", key, errno);
  long ring = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID_, KEY_SPEC_USER_KEYRING_, 0);
  escape_ret(k, sizeof k, "keyctl(GET_KEYRING_ID, user keyring)", ring, errno);
  if (key >= 0 || ring >= 0) escape_escaped("%s, %s", a, k);
  escape_blocked("%s, %s", a, k);
}
