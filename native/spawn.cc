// spawn(file, argv, cwd, setsid, onExit): starts a child with posix_spawnp (glibc: clone(CLONE_VM |
// CLONE_VFORK), no copy of the parent's page tables) instead of libuv's fork(), whose cost grows
// with the node process (~6 ms at 70 MB). Three pipe2(O_CLOEXEC) pipes become the child's 0/1/2
// (the originals close at exec); the cwd is an open directory fd (fchdir: its name may hold raw
// bytes) or a path; the child gets the process's environ, an empty signal mask and every signal at
// its default disposition (node ignores SIGPIPE), and with setsid its own session and process group.
// Returns {pid, stdin, stdout, stderr} (the parent's ends, CLOEXEC, blocking) or -errno (ENOENT for
// a missing program, the fchdir's errno for a bad cwd). A detached thread per child waits in
// waitpid(pid) (libuv reaps only the pids it spawned, one waitpid(pid) each) and reports
// onExit(code, signal) on the calling JS thread (main or worker) through a ThreadSafeFunction that is
// released once the child is reaped, so the loop is held only while the child lives. Registered on
// the addon's exports by RegisterSpawn (called from InitAll in inotify.cc). Shell.
#include <napi.h>

#ifdef __linux__
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

extern char** environ;

namespace {

struct Child;
struct Status {
  int code;    // exit code, or -1 when killed by a signal
  int signal;  // the terminating signal, or 0
};
void CallExit(Napi::Env env, Napi::Function cb, Child* child, Status* status);
using Tsfn = Napi::TypedThreadSafeFunction<Child, Status, CallExit>;

// Shared by the waiter thread and the TSFN (its finalizer holds one reference). `closed` is set by
// the finalizer, which also runs when the JS environment is torn down (a worker thread terminated
// while the child lives): the waiter then still reaps the child but never touches the TSFN again.
struct Child {
  pid_t pid;
  std::mutex mu;
  bool closed = false;
  Tsfn tsfn;
};
using ChildRef = std::shared_ptr<Child>;

void CallExit(Napi::Env env, Napi::Function cb, Child*, Status* raw) {
  std::unique_ptr<Status> status(raw);
  if (env == nullptr || cb == nullptr || !status) return;
  try {
    Napi::Value code = status->signal != 0 ? env.Null() : Napi::Number::New(env, status->code);
    Napi::Value sig = status->signal != 0 ? Napi::Number::New(env, status->signal) : env.Null();
    cb.Call({code, sig});
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();  // a throw in the JS handler is a bug: an uncaught exception
  }
}

void Finalize(Napi::Env, ChildRef* ref, Child*) {
  {
    std::lock_guard<std::mutex> lk((*ref)->mu);
    (*ref)->closed = true;
  }
  delete ref;
}

// Waiter thread: never touches JS. Signals stay blocked here (they go to other threads).
void* Wait(void* arg) {
  std::unique_ptr<ChildRef> ref(static_cast<ChildRef*>(arg));
  Child& c = **ref;
  int st = 0;
  pid_t r;
  do r = waitpid(c.pid, &st, 0); while (r < 0 && errno == EINTR);
  // ECHILD (someone else reaped it, e.g. SIGCHLD set to SIG_IGN): reported as exit code -1.
  auto* status = new Status{-1, 0};
  if (r == c.pid && WIFEXITED(st)) status->code = WEXITSTATUS(st);
  if (r == c.pid && WIFSIGNALED(st)) status->signal = WTERMSIG(st);
  std::lock_guard<std::mutex> lk(c.mu);
  if (c.closed) {
    delete status;
    return nullptr;
  }
  if (c.tsfn.BlockingCall(status) != napi_ok) delete status;
  c.tsfn.Release();
  return nullptr;
}

// Starts the waiter with a small stack and every signal blocked (the mask is inherited).
int StartWaiter(const ChildRef& c) {
  auto* ref = new ChildRef(c);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  pthread_t t;
  int rc = pthread_create(&t, &attr, Wait, ref);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  pthread_attr_destroy(&attr);
  if (rc != 0) delete ref;
  return rc;
}

std::string Bytes(const Napi::Value& v) {
  if (v.IsBuffer()) {
    auto b = v.As<Napi::Buffer<char>>();
    return std::string(b.Data(), b.Length());
  }
  return v.As<Napi::String>().Utf8Value();
}

bool IsBytes(const Napi::Value& v) { return v.IsBuffer() || v.IsString(); }

void CloseAll(std::initializer_list<int> fds) {
  for (int fd : fds)
    if (fd >= 0) ::close(fd);
}

// Three pipes, each end CLOEXEC and above 2 (node keeps 0-2 open, so pipe2 never returns them;
// checked anyway, as a dup2 onto a pipe's own fd would keep its CLOEXEC and lose it at exec).
int MakePipes(int p[3][2]) {
  for (int i = 0; i < 3; ++i) {
    if (pipe2(p[i], O_CLOEXEC) != 0) return errno;
    for (int& fd : p[i]) {
      if (fd > 2) continue;
      int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
      int e = errno;
      ::close(fd);
      fd = moved;
      if (moved < 0) return e;
    }
  }
  return 0;
}

// posix_spawnp with the file actions and attributes above; returns 0 or an errno value.
int SpawnChild(pid_t* pid, const std::string& file, std::vector<std::string>& args, int cwdFd,
               const std::string* cwdPath, bool setsid, int p[3][2]) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  if (int e = posix_spawn_file_actions_init(&fa)) return e;
  if (int e = posix_spawnattr_init(&at)) {
    posix_spawn_file_actions_destroy(&fa);
    return e;
  }
  int e = posix_spawn_file_actions_adddup2(&fa, p[0][0], 0);
  if (e == 0) e = posix_spawn_file_actions_adddup2(&fa, p[1][1], 1);
  if (e == 0) e = posix_spawn_file_actions_adddup2(&fa, p[2][1], 2);
  if (e == 0 && cwdFd >= 0) e = posix_spawn_file_actions_addfchdir_np(&fa, cwdFd);
  if (e == 0 && cwdPath != nullptr) e = posix_spawn_file_actions_addchdir_np(&fa, cwdPath->c_str());
  sigset_t none, all;
  sigemptyset(&none);
  // Every bit, not sigfillset(): that leaves out glibc's internal signals 32 and 33, which
  // posix_spawn then sets to SIG_IGN in the child, and an ignored signal survives the exec.
  std::memset(&all, 0xff, sizeof all);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (setsid ? POSIX_SPAWN_SETSID : 0);
  if (e == 0) e = posix_spawnattr_setsigmask(&at, &none);
  if (e == 0) e = posix_spawnattr_setsigdefault(&at, &all);
  if (e == 0) e = posix_spawnattr_setflags(&at, flags);
  if (e == 0) e = posix_spawnp(pid, file.c_str(), &fa, &at, argv.data(), environ);
  posix_spawnattr_destroy(&at);
  posix_spawn_file_actions_destroy(&fa);
  return e;
}

const char kUsage[] =
    "spawn(file: string|Buffer, argv: (string|Buffer)[], cwd: number|string|Buffer|null, "
    "setsid: boolean, onExit: (code, signal) => void)";

Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !IsBytes(info[0]) || !info[1].IsArray() || !info[3].IsBoolean() ||
      !info[4].IsFunction() ||
      !(info[2].IsNumber() || info[2].IsNull() || info[2].IsUndefined() || IsBytes(info[2]))) {
    throw Napi::TypeError::New(env, kUsage);
  }
  std::string file = Bytes(info[0]);
  Napi::Array arr = info[1].As<Napi::Array>();
  std::vector<std::string> args;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value a = arr.Get(i);
    if (!IsBytes(a)) throw Napi::TypeError::New(env, kUsage);
    args.push_back(Bytes(a));
  }
  int cwdFd = info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : -1;
  std::string cwdPath = IsBytes(info[2]) ? Bytes(info[2]) : std::string();
  int p[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  int e = MakePipes(p);
  pid_t pid = -1;
  if (e == 0)
    e = SpawnChild(&pid, file, args, cwdFd, IsBytes(info[2]) ? &cwdPath : nullptr,
                   info[3].As<Napi::Boolean>().Value(), p);
  CloseAll({p[0][0], p[1][1], p[2][1]});  // the child's ends
  if (e != 0) {
    CloseAll({p[0][1], p[1][0], p[2][0]});
    return Napi::Number::New(env, -e);
  }
  auto child = std::make_shared<Child>();
  child->pid = pid;
  child->tsfn = Tsfn::New(env, info[4].As<Napi::Function>(), "sersync_spawn", 0, 1, child.get(),
                          Finalize, new ChildRef(child));
  if (int te = StartWaiter(child)) {
    // No thread to reap it: stop it here rather than leave a zombie behind.
    kill(pid, SIGKILL);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    child->tsfn.Release();
    CloseAll({p[0][1], p[1][0], p[2][0]});
    return Napi::Number::New(env, -te);
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("pid", Napi::Number::New(env, pid));
  o.Set("stdin", Napi::Number::New(env, p[0][1]));
  o.Set("stdout", Napi::Number::New(env, p[1][0]));
  o.Set("stderr", Napi::Number::New(env, p[2][0]));
  return o;
}

}  // namespace

void RegisterSpawn(Napi::Env env, Napi::Object exports) {
  exports.Set("spawn", Napi::Function::New(env, Spawn, "spawn"));
}

#else  // not Linux: no spawn export; the JS side falls back to child_process.spawn.

void RegisterSpawn(Napi::Env, Napi::Object) {}

#endif
