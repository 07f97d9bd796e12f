// sd_notify(3) for the addon: registers `sdNotify(socketPath, state)` on the exports.
#pragma once
#include <napi.h>

void RegisterSdNotify(Napi::Env env, Napi::Object exports);
