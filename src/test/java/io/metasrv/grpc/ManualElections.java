package io.metasrv.grpc;

import io.metasrv.election.Election;
import io.metasrv.election.LeaderChange;
import io.metasrv.election.MetasrvNodeInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/** One election shared by in-process nodes, whose leader the test picks. */
final class ManualElections {
  private final Map<String, Member> members = new ConcurrentHashMap<>();
  private volatile String leaderAddr;
  private long term;

  Election member() {
    return new Member();
  }

  /** Makes {@code addr} the leader: the old leader steps down first, as a real election does. */
  synchronized void elect(String addr) {
    String old = leaderAddr;
    if (old != null) {
      leaderAddr = null;
      members.get(old).listener.accept(new LeaderChange.StepDown(old));
    }
    leaderAddr = addr;
    members.get(addr).listener.accept(new LeaderChange.Elected(addr, ++term));
  }

  private final class Member implements Election {
    private volatile MetasrvNodeInfo self;
    private volatile Consumer<LeaderChange> listener;

    @Override
    public void start(MetasrvNodeInfo self, Consumer<LeaderChange> listener) {
      this.self = self;
      this.listener = listener;
      members.put(self.addr(), this);
    }

    @Override
    public Optional<String> leader() {
      return Optional.ofNullable(leaderAddr);
    }

    @Override
    public boolean isLeader() {
      return self != null && self.addr().equals(leaderAddr);
    }

    @Override
    public void resign() {
      synchronized (ManualElections.this) {
        if (isLeader()) {
          leaderAddr = null;
          listener.accept(new LeaderChange.StepDown(self.addr()));
        }
      }
    }

    @Override
    public List<MetasrvNodeInfo> allCandidates() {
      List<MetasrvNodeInfo> all = new ArrayList<>();
      members.values().forEach(member -> all.add(member.self));
      return all;
    }

    @Override
    public void close() {
      resign();
      if (self != null) {
        members.remove(self.addr());
      }
    }
  }
}
