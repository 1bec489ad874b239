#include "runtime/store/checkpointer.h"

#include <pthread.h>
#include <signal.h>

#include <spdlog/spdlog.h>

namespace kaizen::store {

Result<std::unique_ptr<Checkpointer>> Checkpointer::Start(Database& writer, int pages) {
  auto own = Database::Open(writer.path(), /*read_only=*/false);
  if (!own.ok()) return own.status().WithContext("opening the checkpoint connection");
  // Reading the mode makes the new connection open the WAL; until then it
  // would not know the file is in WAL mode and checkpoint nothing.
  auto mode = own->QueryText("PRAGMA journal_mode");
  if (!mode.ok()) return mode.status().WithContext("opening the checkpoint connection");
  if (*mode != "wal") return Status::FailedPrecondition(writer.path() + " is not in WAL mode; nothing to checkpoint");
  std::unique_ptr<Checkpointer> c(new Checkpointer(writer, std::move(own.value()), pages));
  // Replaces SQLite's automatic checkpoint (itself a wal_hook) on the writer.
  sqlite3_wal_hook(writer.handle(), &Checkpointer::OnCommit, c.get());
  // The thread takes no signals (it inherits this mask): a process that
  // turns signals into poll events (signalfd) must get every one of them.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  c->thread_ = std::thread([p = c.get()] { p->Run(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return c;
}

Checkpointer::Checkpointer(Database& writer, Database own, int pages)
    : writer_(writer), own_(std::move(own)), pages_(pages) {}

Checkpointer::~Checkpointer() {
  sqlite3_wal_autocheckpoint(writer_.handle(), pages_);  // back to SQLite's own
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

int Checkpointer::OnCommit(void* self, sqlite3*, const char*, int pages) {
  auto* c = static_cast<Checkpointer*>(self);
  if (pages >= c->pages_) {
    {
      std::lock_guard<std::mutex> lock(c->mu_);
      c->due_ = true;
    }
    c->wake_.notify_one();
  }
  return SQLITE_OK;
}

void Checkpointer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return due_ || stop_; });
    if (stop_) return;
    due_ = false;
    lock.unlock();
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(own_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      spdlog::warn("store: checkpoint of {} failed: {}", own_.path(), sqlite3_errmsg(own_.handle()));
    }
    checkpoints_.fetch_add(1);
    lock.lock();
  }
}

}  // namespace kaizen::store
