// fdpass.cc: socketpair, pipe and SCM_RIGHTS sends for the spawn server.
#ifndef SBX_BINDINGS_FDPASS_H
#define SBX_BINDINGS_FDPASS_H
#include <napi.h>
void sbx_fdpass_init(Napi::Env env, Napi::Object exports);
#endif
