// sersync_inotify: the project's thin Linux inotify binding (shell). A reader thread poll()s the
// inotify fd and an eventfd (shutdown), reads raw records into one pending list and wakes JS through
// an Unref'd ThreadSafeFunction; JS takes whatever has piled up by the time it runs. So a lone event
// reaches JS at once, and while JS is busy the records wait in one list instead of as many small
// batches. While events keep coming the reader reads at most once per kReadGap (kBurstReadGap in a
// sustained burst), so a writer's burst is read in bulk rather than one record per wake-up. All policy (recursion, renames, overflow)
// lives in TypeScript.
#include <napi.h>

#include "sd-notify.h"
void RegisterFlock(Napi::Env env, Napi::Object exports);  // native/flock.cc
void RegisterSpawn(Napi::Env env, Napi::Object exports);  // native/spawn.cc

#ifdef __linux__
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Record {
  int32_t wd;
  uint32_t mask;
  uint32_t cookie;
  std::string name;
};
using Batch = std::vector<Record>;

// Strict UTF-8 check (Unicode 15, table 3-7: no overlongs, no surrogates, <= U+10FFFF). Names that
// fail it are handed to JS as Buffers so nothing is silently replaced by U+FFFD here.
bool IsUtf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) { ++p; continue; }
    int n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c == 0xE0) { n = 2; lo = 0xA0; }
    else if (c == 0xED) { n = 2; hi = 0x9F; }
    else if (c >= 0xE1 && c <= 0xEF) n = 2;
    else if (c == 0xF0) { n = 3; lo = 0x90; }
    else if (c == 0xF4) { n = 3; hi = 0x8F; }
    else if (c >= 0xF1 && c <= 0xF3) n = 3;
    else return false;
    if (end - p <= n) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int i = 2; i <= n; ++i) if (p[i] < 0x80 || p[i] > 0xBF) return false;
    p += n + 1;
  }
  return true;
}

// Records read but not yet taken by JS (at most kMaxPending: beyond that the reader waits and the
// kernel queue takes the rest; an IN_Q_OVERFLOW then asks TypeScript for a rescan). Shared by the
// reader thread, the JS thread and any CallJs still queued, which may outlive the Inotify object.
constexpr size_t kMaxPending = 1 << 20;
// One JS call takes at most this many records (more than that waits for the next call), so a
// backlog never becomes one giant array and timers still run between the calls.
constexpr size_t kMaxRecordsPerCall = 16384;
constexpr size_t kBufSize = 64 * 1024;
// While events keep coming, the reader reads at most once per kReadGap, and once kBurstReads reads
// in a row found records already waiting, at most once per kBurstReadGap: a wake-up costs tens of
// microseconds of system time here, a sustained burst need not pay it per ms. The first
// kFreeReads reads after a quiet spell (no read for kQuietSpell) wait for no gap: a lone change's
// events (a create, then its close_write microseconds or milliseconds later) are delivered as
// they come, not up to a gap apart. What is readable at once is still taken in one read.
constexpr std::chrono::microseconds kReadGap{1000};
constexpr int kFreeReads = 2;
constexpr std::chrono::microseconds kQuietSpell{20000};
constexpr std::chrono::microseconds kBurstReadGap{10000};
constexpr int kBurstReads = 8;
// A poll() that returns sooner than this after it was called found records already waiting.
constexpr std::chrono::microseconds kWaitingNow{200};

struct Shared;
using SharedRef = std::shared_ptr<Shared>;
void CallJs(Napi::Env env, Napi::Function cb, std::nullptr_t*, SharedRef* ref);
using Tsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, SharedRef, CallJs>;

struct Shared {
  std::mutex mu;
  std::condition_variable taken;  // JS took records (or stopping): a waiting reader may go on
  std::deque<Record> pending;
  bool scheduled = false;  // a CallJs is queued; it takes `pending`
  bool stopping = false;   // set on the JS thread before the TSFN is released
  Tsfn tsfn;
};

// Queues one CallJs. Caller holds s.mu, has set s.scheduled, and s.stopping is false.
void Schedule(const SharedRef& s) {
  auto* ref = new SharedRef(s);
  if (s->tsfn.NonBlockingCall(ref) != napi_ok) {
    delete ref;
    s->scheduled = false;
  }
}

// Runs on the JS thread (env is null when the function is being torn down): takes up to
// kMaxRecordsPerCall pending records, never stopping right after an IN_MOVED_FROM (its IN_MOVED_TO
// must land in the same call), and queues another call for the rest.
void CallJs(Napi::Env env, Napi::Function cb, std::nullptr_t*, SharedRef* raw) {
  std::unique_ptr<SharedRef> ref(raw);
  Shared& s = **ref;
  Batch batch;
  {
    std::lock_guard<std::mutex> lk(s.mu);
    size_t n = std::min(s.pending.size(), kMaxRecordsPerCall);
    while (n < s.pending.size() && n > 0 && (s.pending[n - 1].mask & IN_MOVED_FROM) != 0) ++n;
    batch.reserve(n);
    for (size_t i = 0; i < n; ++i) batch.push_back(std::move(s.pending[i]));
    s.pending.erase(s.pending.begin(), s.pending.begin() + static_cast<std::ptrdiff_t>(n));
    s.scheduled = false;
    if (!s.pending.empty() && !s.stopping && env != nullptr) {
      s.scheduled = true;
      Schedule(*ref);
    }
  }
  s.taken.notify_all();
  if (env == nullptr || cb == nullptr || batch.empty()) return;
  try {
    Napi::Array arr = Napi::Array::New(env, batch.size());
    // The property names once per call, not four string lookups per record.
    Napi::String kWd = Napi::String::New(env, "wd");
    Napi::String kMask = Napi::String::New(env, "mask");
    Napi::String kCookie = Napi::String::New(env, "cookie");
    Napi::String kName = Napi::String::New(env, "name");
    uint32_t i = 0;
    for (const Record& r : batch) {
      Napi::HandleScope scope(env);
      Napi::Object o = Napi::Object::New(env);
      o.Set(kWd, Napi::Number::New(env, r.wd));
      o.Set(kMask, Napi::Number::New(env, r.mask));
      o.Set(kCookie, Napi::Number::New(env, r.cookie));
      if (IsUtf8(r.name)) o.Set(kName, Napi::String::New(env, r.name));
      else o.Set(kName, Napi::Buffer<char>::Copy(env, r.name.data(), r.name.size()));
      arr.Set(i++, o);
    }
    cb.Call({arr});
  } catch (const Napi::Error& e) {
    // A throw in the JS handler is a bug: surface it as an uncaught exception.
    e.ThrowAsJavaScriptException();
  }
}

class Inotify : public Napi::ObjectWrap<Inotify> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Inotify",
                       {InstanceMethod<&Inotify::AddWatch>("addWatch"),
                        InstanceMethod<&Inotify::RmWatch>("rmWatch"),
                        InstanceMethod<&Inotify::Close>("close"),
                        InstanceMethod<&Inotify::SimulateOverflow>("simulateOverflow")});
  }

  explicit Inotify(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Inotify>(info), env_(info.Env()) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsFunction()) {
      throw Napi::TypeError::New(env, "Inotify(callback): callback must be a function");
    }
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0) ThrowErrno(env, "inotify_init1");
    efd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd_ < 0) {
      int e = errno;
      ::close(fd_);
      fd_ = -1;
      errno = e;
      ThrowErrno(env, "eventfd");
    }
    // At most one call is queued at a time (Shared::scheduled); 0 would mean unbounded.
    shared_->tsfn = Tsfn::New(env, info[0].As<Napi::Function>(), "sersync_inotify", 2, 1);
    // The watcher must never keep the process alive by itself.
    shared_->tsfn.Unref(env);
    // Registered after the TSFN so it runs first at environment teardown (hooks run LIFO).
    napi_add_env_cleanup_hook(env, &Inotify::CleanupHook, this);
    thread_ = std::thread(&Inotify::Run, this);
  }

  ~Inotify() override { Stop(false); }

 private:
  [[noreturn]] static void ThrowErrno(Napi::Env env, const char* what) {
    int e = errno;
    Napi::Error err = Napi::Error::New(env, std::string(what) + ": " + std::strerror(e));
    err.Set("errno", Napi::Number::New(env, -e));
    throw err;
  }

  static void CleanupHook(void* arg) { static_cast<Inotify*>(arg)->Stop(true); }

  // Idempotent: wakes the reader, joins it, releases the TSFN and closes both fds.
  void Stop(bool fromHook) {
    if (stopped_) return;
    stopped_ = true;
    stopping_.store(true);
    {
      std::lock_guard<std::mutex> lk(shared_->mu);
      shared_->stopping = true;
    }
    shared_->taken.notify_all();
    if (efd_ >= 0) {
      uint64_t one = 1;
      ssize_t w;
      do w = ::write(efd_, &one, sizeof one); while (w < 0 && errno == EINTR);
    }
    if (thread_.joinable()) thread_.join();
    if (!fromHook) napi_remove_env_cleanup_hook(env_, &Inotify::CleanupHook, this);
    if (shared_->tsfn) shared_->tsfn.Release();
    if (fd_ >= 0) ::close(fd_);
    if (efd_ >= 0) ::close(efd_);
    fd_ = efd_ = -1;
  }

  // Appends a batch to the pending records and wakes JS unless a wake-up is already queued. Waits
  // while JS is kMaxPending records behind. Empties `batch`.
  void Deliver(Batch& batch) {
    std::unique_lock<std::mutex> lk(shared_->mu);
    shared_->taken.wait(lk, [this] { return shared_->pending.size() < kMaxPending || shared_->stopping; });
    if (shared_->stopping) return;
    for (Record& r : batch) shared_->pending.push_back(std::move(r));
    batch.clear();
    if (shared_->scheduled) return;
    shared_->scheduled = true;
    Schedule(shared_);
  }

  static void Parse(const char* buf, ssize_t len, Batch* batch) {
    const char* p = buf;
    const char* end = buf + len;
    while (p + static_cast<ssize_t>(sizeof(inotify_event)) <= end) {
      inotify_event ev;
      std::memcpy(&ev, p, sizeof ev);
      const char* name = p + sizeof(inotify_event);
      std::string n = ev.len > 0 ? std::string(name, strnlen(name, ev.len)) : std::string();
      batch->push_back(Record{ev.wd, ev.mask, ev.cookie, std::move(n)});
      p += sizeof(inotify_event) + ev.len;
    }
  }

  // Reader thread: never touches JS. Signals are blocked here (they go to other threads), and
  // EINTR is retried anyway, so a flood of SIGCHLD/SIGUSR2 can never stop it.
  void Run() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    pthread_setname_np(pthread_self(), "sersync-inotify");  // as shown by top -H and /proc/*/task
    std::unique_ptr<char[]> buf(new char[kBufSize]);
    Batch batch;
    auto lastRead = std::chrono::steady_clock::time_point{};
    int waitingStreak = 0;  // reads in a row that found records already waiting
    int sinceQuiet = 0;     // reads since the last quiet spell, that one included
    while (!stopping_.load()) {
      // A read less than a gap ago (past the first reads after a quiet spell): let the writer's
      // next records pile up in the kernel first (still woken at once by a shutdown).
      auto gap = waitingStreak >= kBurstReads ? kBurstReadGap : kReadGap;
      auto gapLeft = lastRead + gap - std::chrono::steady_clock::now();
      if (sinceQuiet >= kFreeReads && gapLeft.count() > 0) {
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(gapLeft).count();
        timespec ts{0, static_cast<long>(ns)};
        pollfd e{efd_, POLLIN, 0};
        if (ppoll(&e, 1, &ts, nullptr) > 0) break;
      }
      pollfd fds[2] = {{fd_, POLLIN, 0}, {efd_, POLLIN, 0}};
      auto polledAt = std::chrono::steady_clock::now();
      int n = poll(fds, 2, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[1].revents != 0) break;
      if ((fds[0].revents & POLLIN) == 0) continue;
      auto readAt = std::chrono::steady_clock::now();
      sinceQuiet = readAt - lastRead >= kQuietSpell ? 1 : sinceQuiet + 1;
      lastRead = readAt;
      waitingStreak = lastRead - polledAt < kWaitingNow ? waitingStreak + 1 : 0;
      bool lookedAhead = false;
      for (;;) {
        ssize_t len = ::read(fd_, buf.get(), kBufSize);
        if (len < 0 && errno == EINTR) continue;
        if (len > 0) {
          Parse(buf.get(), len, &batch);
          // A well-filled buffer: more is probably queued, read on (up to one JS call's worth).
          bool more = static_cast<size_t>(len) > kBufSize / 2 && batch.size() < kMaxRecordsPerCall;
          if (more || (!batch.empty() && (batch.back().mask & IN_MOVED_FROM) != 0)) continue;
        } else {
          // Queue drained. The kernel queues MOVED_FROM and MOVED_TO one after the other; if a read
          // fell between them, wait briefly for the partner so the pair lands in one batch.
          bool endsInMoveFrom = !batch.empty() && (batch.back().mask & IN_MOVED_FROM) != 0;
          if (endsInMoveFrom && !lookedAhead) {
            lookedAhead = true;
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, 2) > 0) continue;
          }
        }
        break;
      }
      if (!batch.empty()) Deliver(batch);
    }
  }

  Napi::Value AddWatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[1].IsNumber()) throw Napi::TypeError::New(env, "addWatch(path, mask)");
    std::string path;
    if (info[0].IsBuffer()) {
      auto b = info[0].As<Napi::Buffer<char>>();
      path.assign(b.Data(), b.Length());
    } else if (info[0].IsString()) {
      path = info[0].As<Napi::String>().Utf8Value();
    } else {
      throw Napi::TypeError::New(env, "addWatch: path must be a string or Buffer");
    }
    if (fd_ < 0) return Napi::Number::New(env, -EBADF);
    int wd = inotify_add_watch(fd_, path.c_str(), info[1].As<Napi::Number>().Uint32Value());
    return Napi::Number::New(env, wd >= 0 ? wd : -errno);
  }

  Napi::Value RmWatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "rmWatch(wd)");
    if (fd_ < 0) return Napi::Number::New(env, -EBADF);
    int r = inotify_rm_watch(fd_, info[0].As<Napi::Number>().Int32Value());
    return Napi::Number::New(env, r == 0 ? 0 : -errno);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop(false);
    return info.Env().Undefined();
  }

  // Test hook: queues an IN_Q_OVERFLOW record (wd -1) through the same delivery path as the kernel's.
  Napi::Value SimulateOverflow(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lk(shared_->mu);
    if (stopped_ || shared_->stopping) return Napi::Boolean::New(info.Env(), false);
    shared_->pending.push_back(Record{-1, IN_Q_OVERFLOW, 0, std::string()});
    if (!shared_->scheduled) {
      shared_->scheduled = true;
      Schedule(shared_);
    }
    return Napi::Boolean::New(info.Env(), true);
  }

  napi_env env_;
  int fd_ = -1;
  int efd_ = -1;
  SharedRef shared_ = std::make_shared<Shared>();
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;
};

struct InstanceData {
  Napi::FunctionReference ctor;
};

Napi::Value Open(const Napi::CallbackInfo& info) {
  auto* data = info.Env().GetInstanceData<InstanceData>();
  return data->ctor.New({info[0]});
}

}  // namespace

Napi::Object InitAll(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = Inotify::Init(env);
  auto* data = new InstanceData{Napi::Persistent(ctor)};
  env.SetInstanceData(data);
  exports.Set("supported", Napi::Boolean::New(env, true));
  exports.Set("open", Napi::Function::New(env, Open, "open"));
  Napi::Object c = Napi::Object::New(env);
#define SERSYNC_CONST(name) c.Set(#name, Napi::Number::New(env, name))
  SERSYNC_CONST(IN_ACCESS);
  SERSYNC_CONST(IN_MODIFY);
  SERSYNC_CONST(IN_ATTRIB);
  SERSYNC_CONST(IN_CLOSE_WRITE);
  SERSYNC_CONST(IN_CLOSE_NOWRITE);
  SERSYNC_CONST(IN_OPEN);
  SERSYNC_CONST(IN_MOVED_FROM);
  SERSYNC_CONST(IN_MOVED_TO);
  SERSYNC_CONST(IN_CREATE);
  SERSYNC_CONST(IN_DELETE);
  SERSYNC_CONST(IN_DELETE_SELF);
  SERSYNC_CONST(IN_MOVE_SELF);
  SERSYNC_CONST(IN_UNMOUNT);
  SERSYNC_CONST(IN_Q_OVERFLOW);
  SERSYNC_CONST(IN_IGNORED);
  SERSYNC_CONST(IN_ONLYDIR);
  SERSYNC_CONST(IN_DONT_FOLLOW);
  SERSYNC_CONST(IN_EXCL_UNLINK);
  SERSYNC_CONST(IN_MASK_ADD);
  SERSYNC_CONST(IN_ISDIR);
#undef SERSYNC_CONST
  exports.Set("constants", c);
  RegisterSdNotify(env, exports);
  RegisterFlock(env, exports);
  RegisterSpawn(env, exports);
  return exports;
}

#else  // not Linux: the module loads but reports that inotify is unavailable.

Napi::Object InitAll(Napi::Env env, Napi::Object exports) {
  exports.Set("supported", Napi::Boolean::New(env, false));
  RegisterFlock(env, exports);
  RegisterSpawn(env, exports);
  return exports;
}

#endif

NODE_API_MODULE(sersync_inotify, InitAll)
