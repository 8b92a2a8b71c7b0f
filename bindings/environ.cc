// The process's environment as the spawn server's request carries it
// (launcher/request.h: u32 count, then u32 length + bytes per entry), read
// from environ. Enumerating process.env from JS costs a call into Node per
// key and per value (~60 µs for 35 variables on a cold spawn, measured);
// on Node's main thread process.env is environ itself (Node writes through
// setenv), so lib/spawn-server.ts takes this block when the caller's env is
// that object. As process.env enumerates: entries with '=', the first of a
// repeated name.
#include "environ.h"

#include <stdint.h>
#include <string.h>

#include <string_view>
#include <unordered_set>
#include <vector>

extern char **environ;

namespace {

Napi::Value EnvironBlock(const Napi::CallbackInfo &info) {
  std::unordered_set<std::string_view> seen;
  std::vector<std::string_view> keep;
  size_t size = 4;
  for (char **e = environ; e && *e; e++) {
    const char *eq = strchr(*e, '=');
    if (!eq) continue;
    if (!seen.insert(std::string_view(*e, (size_t)(eq - *e))).second) continue;
    std::string_view entry(*e);
    keep.push_back(entry);
    size += 4 + entry.size();
  }
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(info.Env(), size);
  uint8_t *p = out.Data();
  auto u32 = [&p](uint32_t v) {
    for (int i = 0; i < 4; i++) *p++ = (uint8_t)(v >> (8 * i));  // little-endian, as the request
  };
  u32((uint32_t)keep.size());
  for (std::string_view entry : keep) {
    u32((uint32_t)entry.size());
    memcpy(p, entry.data(), entry.size());
    p += entry.size();
  }
  return out;
}

}  // namespace

void sbx_environ_init(Napi::Env env, Napi::Object exports) {
  exports.Set("environBlock", Napi::Function::New(env, EnvironBlock));
}
