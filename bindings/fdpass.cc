// File-descriptor plumbing for the spawn server (lib/spawn-server.ts,
// launcher/server.c): Node has no API to make a socketpair or a pipe by
// number, nor to send fds with SCM_RIGHTS. These stay thin: errors are
// thrown as `Error` with `errno`/`syscall`, JS decides what they mean.
#include "fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace {

Napi::Value Throw(Napi::Env env, int err, const char *syscall) {
  Napi::Error e = Napi::Error::New(env, std::string(syscall) + ": " + strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value Pair(Napi::Env env, int a, int b) {
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, a));
  out.Set(1u, Napi::Number::New(env, b));
  return out;
}

// socketpair(AF_UNIX, seqpacket ? SOCK_SEQPACKET : SOCK_STREAM), both CLOEXEC.
Napi::Value FdSocketpair(const Napi::CallbackInfo &info) {
  int sv[2];
  int type = info.Length() > 0 && info[0].ToBoolean() ? SOCK_SEQPACKET : SOCK_STREAM;
  if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv)) return Throw(info.Env(), errno, "socketpair");
  return Pair(info.Env(), sv[0], sv[1]);
}

// pipe2(O_CLOEXEC): [read end, write end].
Napi::Value FdPipe(const Napi::CallbackInfo &info) {
  int p[2];
  if (pipe2(p, O_CLOEXEC)) return Throw(info.Env(), errno, "pipe2");
  return Pair(info.Env(), p[0], p[1]);
}

// Milliseconds left until `deadline` (CLOCK_MONOTONIC ms; -1: no deadline, wait forever).
int MsLeft(int64_t deadline) {
  if (deadline < 0) return -1;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  int64_t left = deadline - ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
  return left > 0 ? (int)(left < INT32_MAX ? left : INT32_MAX) : 0;
}

// The optional last argument: a timeout in ms (absent or <= 0: none) as a deadline.
int64_t Deadline(const Napi::CallbackInfo &info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) return -1;
  int64_t ms = info[i].As<Napi::Number>().Int64Value();
  if (ms <= 0) return -1;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + ms;
}

// Wait for `events` on fd until the deadline: false when it passed (ETIMEDOUT).
bool WaitFor(int fd, short events, int64_t deadline) {
  for (;;) {
    struct pollfd p = {fd, events, 0};
    int r = poll(&p, 1, MsLeft(deadline));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return true;  // the send or recv after it says what is wrong
  }
}

// fdSend(fd, buffer, fds, timeoutMs?): one sendmsg of the whole buffer with the
// fds attached (a full socket buffer is waited out: the server drains it;
// with a timeout, ETIMEDOUT once it passed: the server is not draining).
Napi::Value FdSend(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsBuffer() || !info[2].IsArray()) {
    Napi::TypeError::New(env, "fdSend(fd, buffer, fds)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Buffer<char> buf = info[1].As<Napi::Buffer<char>>();
  Napi::Array list = info[2].As<Napi::Array>();
  std::vector<int> fds(list.Length());
  for (uint32_t i = 0; i < list.Length(); i++) fds[i] = list.Get(i).As<Napi::Number>().Int32Value();
  std::vector<char> cbuf(CMSG_SPACE(sizeof(int) * (fds.empty() ? 1 : fds.size())), 0);
  struct iovec iov = {buf.Data(), buf.Length()};
  struct msghdr mh = {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  if (!fds.empty()) {
    mh.msg_control = cbuf.data();
    mh.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    memcpy(CMSG_DATA(cm), fds.data(), sizeof(int) * fds.size());
  }
  int64_t deadline = Deadline(info, 3);
  for (;;) {
    ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w == (ssize_t)buf.Length()) return env.Undefined();
    if (w >= 0) return Throw(env, EMSGSIZE, "sendmsg");
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      if (!WaitFor(fd, POLLOUT, deadline)) return Throw(env, ETIMEDOUT, "sendmsg");
      continue;
    }
    return Throw(env, errno, "sendmsg");
  }
}

// fdRecv(fd, timeoutMs?): one blocking recv of a reply datagram, as a string
// (the server answers each spawn request at once, after its fork; the caller
// sends, does its own work meanwhile, then takes the answer). With a
// timeout, ETIMEDOUT once it passed without a datagram (a server alive but
// not answering: stopped, or stuck).
Napi::Value FdRecv(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "fdRecv(fd)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  int64_t deadline = Deadline(info, 1);
  char reply[1024];
  for (;;) {
    ssize_t n = recv(fd, reply, sizeof(reply), MSG_DONTWAIT);
    if (n > 0) return Napi::String::New(env, reply, (size_t)n);
    if (n == 0) return Throw(env, ECONNRESET, "recv");
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      if (!WaitFor(fd, POLLIN, deadline)) return Throw(env, ETIMEDOUT, "recv");
      continue;
    }
    return Throw(env, errno, "recv");
  }
}

Napi::Value FdClose(const Napi::CallbackInfo &info) {
  if (info.Length() > 0 && info[0].IsNumber()) close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

}  // namespace

void sbx_fdpass_init(Napi::Env env, Napi::Object exports) {
  exports.Set("fdSocketpair", Napi::Function::New(env, FdSocketpair));
  exports.Set("fdPipe", Napi::Function::New(env, FdPipe));
  exports.Set("fdSend", Napi::Function::New(env, FdSend));
  exports.Set("fdRecv", Napi::Function::New(env, FdRecv));
  exports.Set("fdClose", Napi::Function::New(env, FdClose));
}
