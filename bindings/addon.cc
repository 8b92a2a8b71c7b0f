// sbx.node: a thin Node-API layer over the public headers in
// src-native/include. No policy semantics here: the core decides, this file
// converts types and errors.
#include "environ.h"
#include "fdpass.h"
#include <napi.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <string>

extern "C" {
#include "sbx.h"
#include "sbx_apply.h"
#include "sbx_compile.h"
#include "sbx_policy.h"
#include "sbx_self.h"
#include "sbx_spawn.h"
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

struct PolicyDeleter {
  void operator()(sbx_policy *p) const { sbx_policy_free(p); }
};
struct CompiledDeleter {
  void operator()(sbx_compiled *c) const { sbx_compiled_free(c); }
};
struct PreparedDeleter {
  void operator()(sbx_prepared *p) const { sbx_prepared_free(p); }
};
using PolicyPtr = std::unique_ptr<sbx_policy, PolicyDeleter>;
using PreparedPtr = std::unique_ptr<sbx_prepared, PreparedDeleter>;
using CompiledPtr = std::unique_ptr<sbx_compiled, CompiledDeleter>;

// Takes ownership of a malloc'd C string and returns it as a JS string.
Napi::String TakeString(Napi::Env env, char *s) {
  Napi::String out = Napi::String::New(env, s ? s : "");
  free(s);
  return out;
}

// Argument 0 is the policy source (preset name, path or JSON text); argument
// `optsIndex`, when an object, carries { cwd, noPathCheck }.
PolicyPtr LoadPolicy(const Napi::CallbackInfo &info, size_t optsIndex) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "policy source must be a string").ThrowAsJavaScriptException();
    return nullptr;
  }
  std::string source = info[0].As<Napi::String>();
  std::string cwd;
  sbx_policy_load_opts opts{};
  if (info.Length() > optsIndex && info[optsIndex].IsObject()) {
    Napi::Object o = info[optsIndex].As<Napi::Object>();
    if (o.Get("cwd").IsString()) {
      cwd = o.Get("cwd").As<Napi::String>();
      opts.cwd = cwd.c_str();
    }
    if (o.Get("noPathCheck").ToBoolean()) opts.flags |= SBX_POLICY_NO_PATH_CHECK;
  }
  sbx_error e;
  sbx_error_clear(&e);
  sbx_policy *p = nullptr;
  if (sbx_policy_load(source.c_str(), &opts, &p, &e) < 0) {
    ThrowSbxError(env, e);
    return nullptr;
  }
  return PolicyPtr(p);
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
  return TakeString(env, json);
}

// compile(source, arch?: string, opts?) -> { arch, bpf, disassembly, notes, instructions }
Napi::Value Compile(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int arch = sbx_arch_by_name(nullptr);
  if (info.Length() > 1 && info[1].IsString()) {
    std::string name = info[1].As<Napi::String>();
    arch = sbx_arch_by_name(name.c_str());
    if (arch < 0) {
      sbx_error e;
      sbx_error_set(&e, SBX_EVALUE, EINVAL, nullptr, "unknown architecture \"%s\": expected x86_64 or aarch64",
                    name.c_str());
      ThrowSbxError(env, e);
      return env.Undefined();
    }
  }
  PolicyPtr policy = LoadPolicy(info, 2);
  if (!policy) return env.Undefined();
  sbx_error e;
  sbx_error_clear(&e);
  sbx_compiled *raw = nullptr;
  if (sbx_compile_policy(policy.get(), arch, &raw, &e) < 0) {
    ThrowSbxError(env, e);
    return env.Undefined();
  }
  CompiledPtr c(raw);
  Napi::Object out = Napi::Object::New(env);
  out.Set("arch", Napi::String::New(env, sbx_arch_name(c->arch)));
  out.Set("bpf", Napi::Buffer<unsigned char>::Copy(env, c->bpf, c->bpf_size));
  out.Set("disassembly", Napi::String::New(env, c->disassembly ? c->disassembly : ""));
  out.Set("instructions", Napi::Number::New(env, static_cast<double>(c->insn_count)));
  Napi::Array notes = Napi::Array::New(env, c->nnotes);
  for (size_t i = 0; i < c->nnotes; i++) notes.Set(static_cast<uint32_t>(i), Napi::String::New(env, c->notes[i]));
  out.Set("notes", notes);
  return out;
}

// explain(source, opts?) -> string
Napi::Value Explain(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  PolicyPtr policy = LoadPolicy(info, 1);
  if (!policy) return env.Undefined();
  sbx_error e;
  sbx_error_clear(&e);
  char *text = nullptr;
  if (sbx_policy_explain(policy.get(), &text, &e) < 0) {
    ThrowSbxError(env, e);
    return env.Undefined();
  }
  return TakeString(env, text);
}

// policyJson(source, opts?) -> canonical merged policy as JSON text
Napi::Value PolicyJson(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  PolicyPtr policy = LoadPolicy(info, 1);
  if (!policy) return env.Undefined();
  sbx_error e;
  sbx_error_clear(&e);
  char *json = nullptr;
  if (sbx_policy_to_json(policy.get(), &json, &e) < 0) {
    ThrowSbxError(env, e);
    return env.Undefined();
  }
  return TakeString(env, json);
}

// The self door, prepared: everything that can fail for a reason the user can
// fix fails here, and the process is unchanged.
PreparedPtr PrepareSelfPolicy(const Napi::CallbackInfo &info, size_t optsIndex) {
  Napi::Env env = info.Env();
  PolicyPtr policy = LoadPolicy(info, optsIndex);
  if (!policy) return nullptr;
  sbx_error e;
  sbx_error_clear(&e);
  sbx_prepared *pp = nullptr;
  if (sbx_prepare(policy.get(), SBX_DOOR_SELF, SBX_PREPARE_TSYNC, &pp, &e) < 0) {
    ThrowSbxError(env, e);
    return nullptr;
  }
  return PreparedPtr(pp);
}

// Applies to every thread. full: returns the report JSON; else only what
// apply added to the report taken before (sbx_prepared_apply_report_json).
// A failure after threads started to change does not return (the core exits
// the process, 126).
Napi::Value ApplySelf(Napi::Env env, sbx_prepared *pp, bool full) {
  sbx_error e;
  sbx_error_clear(&e);
  if (sbx_self_lockdown(pp, &e) < 0) {
    ThrowSbxError(env, e);
    return env.Undefined();
  }
  char *json = nullptr;
  if ((full ? sbx_prepared_report_json(pp, &json, &e) : sbx_prepared_apply_report_json(pp, &json, &e)) < 0) {
    ThrowSbxError(env, e);
    return env.Undefined();
  }
  return TakeString(env, json);
}

// lockdown(source, opts?) -> report JSON text
Napi::Value Lockdown(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  PreparedPtr pp = PrepareSelfPolicy(info, 1);
  if (!pp) return env.Undefined();
  return ApplySelf(env, pp.get(), true);
}

// prepareSelf(source, opts?) -> opaque handle for lockdownPrepared(); the
// ruleset fd it holds is closed when the handle is collected.
Napi::Value PrepareSelf(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  PreparedPtr pp = PrepareSelfPolicy(info, 1);
  if (!pp) return env.Undefined();
  return Napi::External<sbx_prepared>::New(env, pp.release(),
                                           [](Napi::Env, sbx_prepared *p) { sbx_prepared_free(p); });
}

sbx_prepared *PreparedHandle(const Napi::CallbackInfo &info) {
  if (info.Length() < 1 || !info[0].IsExternal()) {
    Napi::TypeError::New(info.Env(), "expected a handle from prepareSelf()").ThrowAsJavaScriptException();
    return nullptr;
  }
  return info[0].As<Napi::External<sbx_prepared>>().Data();
}

// reportPrepared(handle) -> report JSON text (before apply: what will be
// enforced; read while the process is unconfined)
Napi::Value ReportPrepared(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  sbx_prepared *pp = PreparedHandle(info);
  if (!pp) return env.Undefined();
  sbx_error e;
  sbx_error_clear(&e);
  char *json = nullptr;
  if (sbx_prepared_report_json(pp, &json, &e) < 0) {
    ThrowSbxError(env, e);
    return env.Undefined();
  }
  return TakeString(env, json);
}

// lockdownPrepared(handle) -> JSON text of what apply added to the report
Napi::Value LockdownPrepared(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  sbx_prepared *pp = PreparedHandle(info);
  if (!pp) return env.Undefined();
  return ApplySelf(env, pp, false);
}

Napi::Value Presets(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  for (const char *const *n = sbx_preset_names(); *n; n++) out.Set(i++, Napi::String::New(env, *n));
  return out;
}

// sbx learn: whether a path is (or, whole, holds) a credential the spawn
// door hides; the list lives in src-native/doors/spawn_home.c.
Napi::Value SecretPath(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string home = info[1].As<Napi::String>().Utf8Value();
  const char *s = sbx_spawn_secret(path.c_str(), home.c_str(), info[2].ToBoolean().Value());
  return s ? Napi::Value(Napi::String::New(env, s)) : env.Null();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("probeJson", Napi::Function::New(env, ProbeJson));
  exports.Set("compile", Napi::Function::New(env, Compile));
  exports.Set("explain", Napi::Function::New(env, Explain));
  exports.Set("policyJson", Napi::Function::New(env, PolicyJson));
  exports.Set("presets", Napi::Function::New(env, Presets));
  exports.Set("secretPath", Napi::Function::New(env, SecretPath));
  exports.Set("lockdown", Napi::Function::New(env, Lockdown));
  exports.Set("prepareSelf", Napi::Function::New(env, PrepareSelf));
  exports.Set("reportPrepared", Napi::Function::New(env, ReportPrepared));
  exports.Set("lockdownPrepared", Napi::Function::New(env, LockdownPrepared));
  sbx_fdpass_init(env, exports);
  sbx_environ_init(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(sbx, Init)
