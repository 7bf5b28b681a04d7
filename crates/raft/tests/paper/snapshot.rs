//! §7 Log compaction: snapshots, InstallSnapshot in chunks, restart from a snapshot.

use faultline_raft::{CompactError, Config, EntryKind, MessageBody, SnapshotMeta};

use crate::harness::*;

fn small_chunks() -> Config {
    Config {
        snapshot_chunk_size: 4,
        ..test_config()
    }
}

/// The application snapshots an applied index; the log drops what the snapshot covers and
/// the snapshot is handed out to be persisted.
#[test]
fn compaction_drops_the_covered_prefix() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    let i = c.propose(1, b"a");
    c.propose(1, b"b");
    let node = c.node_mut(1);
    assert_eq!(
        node.compact(99, vec![]),
        Err(CompactError::NotApplied {
            index: 99,
            applied: i + 1
        })
    );
    node.compact(i, b"state".to_vec()).unwrap();
    assert_eq!(node.first_index(), i + 1);
    assert_eq!(node.entry(i), None);
    assert!(
        node.term_at(i).is_some(),
        "the snapshot point keeps its term"
    );
    assert!(matches!(
        node.compact(i, vec![]),
        Err(CompactError::AlreadyCompacted { .. })
    ));
    let ready = node.take_ready();
    let snap = ready.snapshot.as_ref().expect("snapshot to persist");
    assert_eq!(snap.meta.index, i);
    assert!(
        !ready.apply_snapshot,
        "the application made it; nothing to restore"
    );
    c.slots.get_mut(&1).unwrap().disk.apply_ready(&ready);
    assert_eq!(c.slots[&1].disk.snapshot.meta.index, i);
    assert!(c.slots[&1].disk.entries.iter().all(|e| e.index > i));
}

/// §7: a follower so far behind that the leader discarded the entries it needs receives the
/// snapshot in chunks, installs it, and continues with the entries after it.
#[test]
fn lagging_follower_installs_a_chunked_snapshot() {
    let mut c = Cluster::new(3, small_chunks());
    c.elect(1);
    c.isolate(3);
    for k in 0..5u8 {
        c.propose(1, &[k]);
    }
    let snap_index = c.node(1).commit_index();
    c.node_mut(1)
        .compact(snap_index, b"0123456789".to_vec())
        .unwrap();
    c.process(1);
    c.propose(1, b"after");
    c.heal();
    let mut chunks = 0;
    c.elapse(20 * MS);
    c.tick(1);
    while let Some((_, to, m)) = c.deliver_one() {
        if to == 3 && matches!(m.body, MessageBody::InstallSnapshot { .. }) {
            chunks += 1;
        }
    }
    c.heartbeat(1);
    assert_eq!(chunks, 3, "10 bytes in 4-byte chunks, each sent once");
    let f = c.node(3);
    assert_eq!(f.snapshot().data, b"0123456789".to_vec());
    assert_eq!(f.first_index(), snap_index + 1);
    assert_eq!(f.last_index(), c.node(1).last_index());
    assert_eq!(c.slots[&3].disk.snapshot.meta.index, snap_index);
    assert_eq!(
        c.applied_data(3),
        vec![b"after".to_vec()],
        "entries after the snapshot"
    );
    c.assert_log_matching();
}

/// etcd's rule: while a snapshot streams to a follower, an acknowledgement showing that the
/// follower already holds the snapshot's last entry (appends that arrived late) ends the
/// transfer: the leader goes back to appends and sends no further chunk, so the follower never
/// installs the snapshot it does not need.
#[test]
fn a_late_ack_past_the_snapshot_ends_its_transfer() {
    let mut c = Cluster::new(3, small_chunks());
    c.elect(1);
    c.heartbeat(1);
    c.holding.insert((1, 3));
    for k in 0..3u8 {
        c.propose(1, &[k]);
    }
    c.holding.clear();
    let late = std::mem::take(&mut c.held);
    let snap_index = c.node(1).commit_index();
    c.node_mut(1)
        .compact(snap_index, b"0123456789".to_vec())
        .unwrap();
    c.process(1);
    c.elapse(20 * MS);
    c.tick(1);
    c.deliver_until(|_, to, m| to == 3 && matches!(m.body, MessageBody::InstallSnapshot { .. }));
    c.queue.extend(late);
    let mut chunks = 0;
    while let Some((_, to, m)) = c.deliver_one() {
        chunks += usize::from(to == 3 && matches!(m.body, MessageBody::InstallSnapshot { .. }));
    }
    assert_eq!(chunks, 1, "only the chunk the first answer asked for");
    c.heartbeat(1);
    assert_eq!(c.node(3).snapshot().meta.index, 0, "no snapshot installed");
    assert_eq!(c.applied_data(3), vec![vec![0], vec![1], vec![2]]);
    assert_eq!(c.node(3).last_index(), snap_index);
}

/// Three servers sending snapshots in small chunks: server 3 is cut off while an entry
/// commits, the leader compacts into `snapshot`, and the network heals (nothing sent yet).
fn compacted_past_3(snapshot: &[u8]) -> Cluster {
    let mut c = Cluster::new(3, small_chunks());
    c.elect(1);
    c.isolate(3);
    c.propose(1, b"x");
    let idx = c.node(1).commit_index();
    c.node_mut(1).compact(idx, snapshot.to_vec()).unwrap();
    c.process(1);
    c.heal();
    c
}

/// Server 3 falls behind a compaction (a 10-byte snapshot, 4-byte chunks) and the leader starts
/// streaming it; returns once the first chunk has reached server 3 (its answer is queued).
fn first_chunk_delivered_to_3() -> Cluster {
    let mut c = compacted_past_3(b"0123456789");
    c.elapse(20 * MS);
    c.tick(1);
    c.deliver_until(|_, to, m| to == 3 && matches!(m.body, MessageBody::InstallSnapshot { .. }));
    c
}

/// Delivers everything; returns how many chunks reached server 3 and checks it installed.
fn remaining_chunks_to_3(c: &mut Cluster) -> usize {
    let mut chunks = 0;
    while let Some((_, to, m)) = c.deliver_one() {
        chunks += usize::from(to == 3 && matches!(m.body, MessageBody::InstallSnapshot { .. }));
    }
    c.heartbeat(1);
    assert_eq!(c.node(3).snapshot().data, b"0123456789".to_vec());
    assert_eq!(c.node(3).commit_index(), c.node(1).commit_index());
    chunks
}

/// A duplicated chunk answer is no news: the leader sends the next chunk once, not again.
#[test]
fn a_duplicate_chunk_answer_sends_nothing() {
    let mut c = first_chunk_delivered_to_3();
    let answer = c
        .queue
        .iter()
        .rev()
        .find(|(from, _, m)| {
            *from == 3 && matches!(m.body, MessageBody::InstallSnapshotResponse { .. })
        })
        .cloned()
        .expect("server 3 answered the first chunk");
    c.queue.push_back(answer);
    assert_eq!(
        remaining_chunks_to_3(&mut c),
        2,
        "chunks 2 and 3, once each"
    );
}

/// A follower that lost its partial snapshot (it restarted) answers the next chunk with offset
/// 0, and the leader streams the snapshot again from its start.
#[test]
fn a_restarted_follower_gets_the_snapshot_from_its_start() {
    let mut c = first_chunk_delivered_to_3();
    c.crash(3);
    c.restart(3);
    assert_eq!(
        remaining_chunks_to_3(&mut c),
        4,
        "chunk 2, refused, then all 3"
    );
}

/// A lost chunk is sent again; the transfer still completes.
#[test]
fn lost_snapshot_chunks_are_resent() {
    let mut c = compacted_past_3(b"abcdefghij");
    // Drop every second message to server 3 for a while.
    for round in 0..20 {
        c.elapse(20 * MS);
        c.tick(1);
        let mut k = 0;
        while let Some((from, to, m)) = c.queue.pop_front() {
            k += 1;
            if to == 3 && round < 10 && k % 2 == 0 {
                continue;
            }
            c.queue.push_front((from, to, m));
            c.deliver_one();
        }
    }
    assert_eq!(c.node(3).snapshot().data, b"abcdefghij".to_vec());
    assert_eq!(c.node(3).commit_index(), c.node(1).commit_index());
}

/// §7: if the follower's log already holds the snapshot's last entry, the entries after it
/// are kept; otherwise the whole log is discarded.
#[test]
fn installing_a_snapshot_keeps_a_matching_suffix() {
    let install = |terms: &[u64]| {
        let mut n = lone_node(2, small_chunks(), disk_with_log(&[1, 2, 3], terms, 2));
        n.take_ready();
        let meta = SnapshotMeta {
            index: 2,
            term: 1,
            config: faultline_raft::Membership::new([1, 2, 3]),
        };
        n.handle_message(
            0,
            1,
            msg(
                2,
                MessageBody::InstallSnapshot {
                    meta: Box::new(meta),
                    offset: 0,
                    data: b"ab".to_vec(),
                    done: true,
                },
            ),
        );
        let ready = n.take_ready();
        assert!(ready.apply_snapshot);
        assert_eq!(n.commit_index(), 2);
        (n.last_index(), ready.log.map(|w| w.truncate_from))
    };
    assert_eq!(install(&[1, 1, 2, 2]), (4, None), "suffix 3..4 kept");
    assert_eq!(
        install(&[1, 2, 2, 2]),
        (2, Some(3)),
        "conflict: log discarded"
    );
}

/// Restart from a snapshot: the state machine is restored from it and the entries after it
/// are replayed.
#[test]
fn restart_from_a_snapshot() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    c.propose(1, b"a");
    let i = c.propose(1, b"b");
    c.propose(1, b"c");
    c.heartbeat(1);
    c.node_mut(2).compact(i, b"a,b".to_vec()).unwrap();
    c.process(2);
    c.crash(2);
    c.slots.get_mut(&2).unwrap().applied.clear();
    c.restart(2);
    let n = c.node(2);
    assert_eq!(n.snapshot().data, b"a,b".to_vec());
    assert_eq!(n.first_index(), i + 1);
    assert_eq!(n.applied_index(), n.commit_index());
    let replayed: Vec<_> = c.slots[&2].applied.values().cloned().collect();
    assert_eq!(replayed.len(), 1);
    assert_eq!(replayed[0].kind, EntryKind::Normal(b"c".to_vec().into()));
}
