// flock(2) for JavaScript (Node has none): `flock(fd, exclusive, wait)` returns 0 or -errno
// (-EWOULDBLOCK when another open file description holds a conflicting lock and wait is false).
// Registered on the addon's exports by RegisterFlock (called from InitAll in inotify.cc). Shell.
#include <napi.h>

#include <sys/file.h>

#include <cerrno>

namespace {

Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsBoolean() || !info[2].IsBoolean()) {
    Napi::TypeError::New(env, "flock(fd: number, exclusive: boolean, wait: boolean)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int fd = info[0].As<Napi::Number>().Int32Value();
  int op = info[1].As<Napi::Boolean>().Value() ? LOCK_EX : LOCK_SH;
  if (!info[2].As<Napi::Boolean>().Value()) op |= LOCK_NB;
  int rc;
  do {
    rc = ::flock(fd, op);
  } while (rc != 0 && errno == EINTR);
  return Napi::Number::New(env, rc == 0 ? 0 : -errno);
}

}  // namespace

void RegisterFlock(Napi::Env env, Napi::Object exports) {
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  Napi::Object c = Napi::Object::New(env);
  c.Set("EWOULDBLOCK", Napi::Number::New(env, EWOULDBLOCK));
  exports.Set("flockErrno", c);
}
