//! Spatial peer selection (Demers et al.) on a two-region topology: fewer cross-region messages,
//! paid for in convergence time. Also the cross-zone counters themselves.

mod common;

use std::sync::Arc;

use common::{Net, MS, SEC};
use faultline_gossip::{Config, Exchange, Mode, PeerSelection, Topology};

/// (cross-region share of messages, mean time to convergence in ms) over several updates.
fn measure(selection: PeerSelection) -> (f64, f64) {
    let n = 60;
    let topology = Arc::new(Topology::blocks(n, 2, 1, 10).unwrap());
    let cfg = Config {
        mode: Mode::AntiEntropy(Exchange::PushPull),
        interval: 100 * MS,
        peer_selection: selection,
        ..Config::default()
    };
    let mut net = Net::static_cluster(n, cfg, Some(topology), MS);
    let mut total = 0;
    let updates = 6;
    for u in 0..updates {
        net.run_until(net.now + 500 * MS);
        net.put(u * 11 % n, &format!("k{u}"), b"v");
        let start = net.now;
        total += net
            .run_until_true(10 * MS, net.now + 60 * SEC, Net::converged)
            .expect("converges")
            - start;
    }
    let (cross, all) = net.nodes.values().fold((0, 0), |(c, a), n| {
        (
            c + n.stats().cross_zone_messages,
            a + n.stats().messages_sent,
        )
    });
    (
        cross as f64 / all as f64,
        total as f64 / updates as f64 / MS as f64,
    )
}

#[test]
fn spatial_selection_trades_cross_region_traffic_for_convergence_time() {
    let (uniform_cross, uniform_ms) = measure(PeerSelection::Uniform);
    let (spatial_cross, spatial_ms) = measure(PeerSelection::Spatial { a: 2.0 });
    eprintln!(
        "two regions of 30: cross-region share {uniform_cross:.3} uniform vs {spatial_cross:.3} spatial (a = 2), \
         {:.1}x fewer; convergence {uniform_ms:.0} ms vs {spatial_ms:.0} ms",
        uniform_cross / spatial_cross
    );
    assert!((0.4..0.6).contains(&uniform_cross));
    assert!(uniform_cross / spatial_cross >= 2.0);
    assert!(spatial_ms < 3.0 * uniform_ms);
}
