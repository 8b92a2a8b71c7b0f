// sbx.node: a thin Node-API layer over include/sbx.h. No policy semantics
// here: the core decides, this file converts types and errors.
#include <napi.h>

#include <cstdlib>
#include <string>

extern "C" {
#include "sbx.h"
}

namespace {

// Throw an Error carrying the core's code, pointer, errno and syscall so the
// TS layer can turn it into an SbxError without parsing the message.
void ThrowSbxError(Napi::Env env, const sbx_error &e) {
  Napi::Error err = Napi::Error::New(env, e.message);
  Napi::Object o = err.Value();
  o.Set("code", Napi::String::New(env, sbx_code_name(e.code)));
  o.Set("pointer", Napi::String::New(env, e.pointer));
  if (e.err) o.Set("errno", Napi::Number::New(env, e.err));
  if (e.syscall[0]) o.Set("syscall", Napi::String::New(env, e.syscall));
  err.ThrowAsJavaScriptException();
}

Napi::Value Version(const Napi::CallbackInfo &info) {
  return Napi::String::New(info.Env(), sbx_version());
}

Napi::Value ProbeJson(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  sbx_error e;
  sbx_error_clear(&e);
  char *json = nullptr;
  if (sbx_probe_json(&json, &e) < 0) {
    ThrowSbxError(env, e);
    return env.Undefined();
  }
  Napi::String s = Napi::String::New(env, json);
  free(json);
  return s;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("probeJson", Napi::Function::New(env, ProbeJson));
  return exports;
}

}  // namespace

NODE_API_MODULE(sbx, Init)
