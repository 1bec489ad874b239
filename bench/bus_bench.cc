// Figure 1, the bus: messages per second and round-trip latency, agent ->
// runtime -> agent, through the real Broker and BusClient over ipc://, with
// journaling off, per message (as the runtime journaled before group commit)
// and batched per poll turn (the runtime's core::Journal now); beside raw
// ZeroMQ over the same transport and hops.
//
//   bus_bench [--json FILE] [--quick] [--only SETUP]   (SETUP: raw_direct, raw_relay, journal_off, ...)
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "bench/bus_peers.h"
#include "bench/forwarder.h"
#include "bench/report.h"
#include "bench/temp_dir.h"
#include "bench/timing.h"

namespace kaizen::bench {
namespace {

struct Plan {
  std::string only;         // --only SETUP: measure just this one (for profiling); no figures
  int reps = 3;             // every configuration is measured this often, interleaved; medians are reported
  double warmup_s = 0.3;
  double seconds = 1.0;     // throughput interval
  int window = 1000;        // requests in flight for throughput
  int rtt_warmup = 300;
  int rtt_samples = 3000;   // one at a time
};

struct Sample {
  double per_s = 0, p50 = 0, p99 = 0;
  double per_turn = 0;  // messages the forwarder read per poll turn (its batch size when batching)
};

// One configuration, measured once: who is in the middle and how.
enum class Setup { kRawDirect, kRawRelay, kOff, kPerMessage, kBatched };

const char* SetupName(Setup s) {
  switch (s) {
    case Setup::kRawDirect: return "raw_direct";
    case Setup::kRawRelay: return "raw_relay";
    case Setup::kOff: return JournalingName(Journaling::kOff);
    case Setup::kPerMessage: return JournalingName(Journaling::kPerMessage);
    case Setup::kBatched: return JournalingName(Journaling::kBatched);
  }
  return "?";
}

// Each party has its own ZeroMQ context (its own I/O thread), as separate
// processes would; they are declared before, so destroyed after, their sockets.
struct Contexts {
  zmq::context_t pinger{1}, middle{1}, echo{1};
};

Sample MeasureOnce(Setup setup, size_t payload, const Plan& plan) {
  Contexts ctx;
  TempDir dir("kzbus");
  const std::string control = "ipc://" + dir.path() + "/control.sock";
  const std::string events = "ipc://" + dir.path() + "/events.sock";
  const size_t frame = KaizenFrameBytes(payload);
  std::unique_ptr<Forwarder> forwarder;
  std::unique_ptr<Background> middle, echo;
  std::unique_ptr<Pinger> pinger;
  switch (setup) {
    case Setup::kRawDirect:
      middle = StartRawRouterEcho(ctx.middle, control);
      pinger = MakeRawPinger(ctx.pinger, control, frame);
      break;
    case Setup::kRawRelay:
      middle = StartRawRelay(ctx.middle, control);
      echo = StartRawEcho(ctx.echo, control);
      pinger = MakeRawPinger(ctx.pinger, control, frame);
      break;
    default: {
      Journaling j = setup == Setup::kOff          ? Journaling::kOff
                     : setup == Setup::kPerMessage ? Journaling::kPerMessage
                                                   : Journaling::kBatched;
      forwarder =
          std::make_unique<Forwarder>(ctx.middle, Forwarder::Options{control, events, j, dir.path() + "/state.db"});
      echo = StartKaizenEcho(ctx.echo, control);
      pinger = MakeKaizenPinger(ctx.pinger, control, payload);
    }
  }
  Sample s;
  if (!Handshake(*pinger, 5000)) {
    std::fprintf(stderr, "bus_bench: %s %zu B: no answer to the handshake\n", SetupName(setup), payload);
    return s;
  }
  s.per_s = MeasureThroughput(*pinger, plan.warmup_s, plan.seconds, plan.window).per_s;
  std::vector<double> rtt = MeasureRoundTrips(*pinger, plan.rtt_warmup, plan.rtt_samples);
  s.p50 = Percentile(rtt, 0.50);
  s.p99 = Percentile(rtt, 0.99);
  if (forwarder && forwarder->turns() > 0) {
    s.per_turn = static_cast<double>(forwarder->forwarded()) / static_cast<double>(forwarder->turns());
  }
  // Order matters: the pinger and echo close their sockets before the middle.
  pinger.reset();
  echo.reset();
  middle.reset();
  forwarder.reset();
  return s;
}

std::string SizeName(size_t payload) { return payload >= 1024 ? std::to_string(payload / 1024) + "KiB" : std::to_string(payload) + "B"; }

const std::vector<Setup> kSetups = {Setup::kRawDirect, Setup::kRawRelay, Setup::kOff, Setup::kPerMessage,
                                    Setup::kBatched};

// --only SETUP: one setup, both sizes, printed plainly (for profilers).
void RunOnly(const Plan& plan) {
  for (Setup s : kSetups) {
    if (plan.only != SetupName(s)) continue;
    for (size_t payload : {size_t{100}, size_t{4096}}) {
      Sample x = MeasureOnce(s, payload, plan);
      std::printf("%s %zu B: %.0f msg/s, rtt p50 %.1f us, p99 %.1f us, %.1f messages per forwarder turn\n",
                  SetupName(s), payload, x.per_s, x.p50, x.p99, x.per_turn);
    }
  }
}

void Run(Report& report, const Plan& plan) {
  const std::vector<size_t> sizes = {100, 4096};
  const std::vector<Setup>& setups = kSetups;
  for (size_t payload : sizes) {
    std::map<Setup, std::vector<Sample>> runs;
    for (int rep = 0; rep < plan.reps; ++rep) {
      for (Setup s : setups) runs[s].push_back(MeasureOnce(s, payload, plan));
    }
    std::map<Setup, Sample> med;
    nlohmann::json raw = nlohmann::json::object();
    for (auto& [setup, samples] : runs) {
      std::vector<double> t, p50, p99, turn;
      for (const auto& x : samples) {
        t.push_back(x.per_s);
        p50.push_back(x.p50);
        p99.push_back(x.p99);
        turn.push_back(x.per_turn);
      }
      med[setup] = {Median(t), Median(p50), Median(p99), Median(turn)};
      raw[SetupName(setup)] = {
          {"msgs_per_s", t}, {"rtt_p50_us", p50}, {"rtt_p99_us", p99}, {"forwarder_msgs_per_turn", turn}};
    }
    report.Set("runs_" + SizeName(payload), raw);
    const std::string size = SizeName(payload);
    const std::string frame = std::to_string(KaizenFrameBytes(payload)) + " B frames";
    const Sample& relay = med[Setup::kRawRelay];
    const Sample& direct = med[Setup::kRawDirect];
    report.Add({"bus.raw_relay." + size + ".msgs_per_s", relay.per_s, "msg/s", direct.per_s,
                "raw ZeroMQ DEALER->ROUTER echo, one hop each way (" + frame + ")", ""});
    for (Setup s : {Setup::kOff, Setup::kBatched, Setup::kPerMessage}) {
      const Sample& m = med[s];
      std::string name = std::string("bus.") + SetupName(s) + "." + size;
      std::string target = s == Setup::kOff ? "ratio >= 0.5" : "ratio >= 0.2";
      report.Add({name + ".msgs_per_s", m.per_s, "msg/s", relay.per_s,
                  fmt::format("raw ZeroMQ relay, same hops and transport ({}); {:.3g} of the direct echo", frame,
                              Ratio(m.per_s, direct.per_s)),
                  target});
    }
    for (Setup s : {Setup::kRawRelay, Setup::kOff, Setup::kBatched, Setup::kPerMessage}) {
      const Sample& m = med[s];
      const Sample& base = s == Setup::kRawRelay ? direct : relay;
      std::string what = s == Setup::kRawRelay ? "raw ZeroMQ direct echo" : "raw ZeroMQ relay";
      std::string name = std::string("bus.") + SetupName(s) + "." + size;
      report.Add({name + ".rtt_p50", m.p50, "us", base.p50, what + ", one message in flight", ""});
      report.Add({name + ".rtt_p99", m.p99, "us", base.p99, what + ", one message in flight", ""});
    }
  }
}

}  // namespace
}  // namespace kaizen::bench

int main(int argc, char** argv) {
  using namespace kaizen::bench;
  spdlog::set_level(spdlog::level::err);
  Plan plan;
  if (QuickArg(argc, argv)) {
    plan.reps = 1;
    plan.seconds = 0.5;
    plan.rtt_samples = 500;
  }
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--only") plan.only = argv[i + 1];
  }
  if (!plan.only.empty()) {
    RunOnly(plan);
    return 0;
  }
  Report report("bus");
  report.Set("settings", {{"reps", plan.reps},
                          {"throughput_seconds", plan.seconds},
                          {"window", plan.window},
                          {"rtt_samples", plan.rtt_samples},
                          {"transport", "ipc://"},
                          {"msgs_per_s", "round trips completed per second at the sender (each crosses the middle twice)"},
                          {"journal_batched", "core::Journal::Append + Flush, as the runtime: one SQLite transaction per "
                                              "poll turn (up to 2000 messages), committed before the turn's messages "
                                              "are published and forwarded"},
                          {"journal_per_message", "core::Journal::Record per message: one commit each (the runtime "
                                                  "before group commit)"},
                          {"sqlite", "WAL, synchronous=NORMAL: no fsync per commit; the WAL is fsynced at checkpoints"}});
  Run(report, plan);
  return report.WriteJson(JsonPathArg(argc, argv)) ? 0 : 1;
}
