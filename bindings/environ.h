// environ.cc: the process's environment, encoded for the spawn server.
#ifndef SBX_BINDINGS_ENVIRON_H
#define SBX_BINDINGS_ENVIRON_H
#include <napi.h>
void sbx_environ_init(Napi::Env env, Napi::Object exports);
#endif
