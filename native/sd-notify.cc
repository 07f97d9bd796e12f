// sdNotify(socketPath, state): sends one datagram to systemd's $NOTIFY_SOCKET (sd_notify(3) wire
// format: newline-separated KEY=VALUE lines), because Node has no AF_UNIX datagram sockets. The
// caller reads NOTIFY_SOCKET (a path, or `@name` for the abstract namespace) and passes it in.
// Returns 0 on success or a negative errno; never throws for a socket error. No libsystemd: the
// protocol is one sendto() and the addon must build where libsystemd-dev is not installed.
#include "sd-notify.h"

#ifdef __linux__
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

namespace {

int SendState(const std::string& path, const std::string& state) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() < 2 || path.size() >= sizeof(addr.sun_path)) return -EINVAL;
  if (path[0] != '/' && path[0] != '@') return -EAFNOSUPPORT;  // e.g. vsock:, not for us
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  ssize_t n = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                     reinterpret_cast<const sockaddr*>(&addr), len);
  int e = n < 0 ? errno : 0;
  close(fd);
  if (e != 0) return -e;
  return static_cast<size_t>(n) == state.size() ? 0 : -EMSGSIZE;
}

Napi::Value SdNotify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
    Napi::TypeError::New(env, "sdNotify(socketPath: string, state: string)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int r = SendState(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value());
  return Napi::Number::New(env, r);
}

}  // namespace

void RegisterSdNotify(Napi::Env env, Napi::Object exports) {
  exports.Set("sdNotify", Napi::Function::New(env, SdNotify, "sdNotify"));
}

#else  // not Linux: no systemd; the export is absent and JS treats notify as unavailable.

void RegisterSdNotify(Napi::Env, Napi::Object) {}

#endif
