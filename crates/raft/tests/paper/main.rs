//! Rule-by-rule tests of the Raft core, in the spirit of etcd raft's paper tests: each test
//! names the rule (Figure 2 or a section of the paper) it checks and drives nodes by hand.

mod harness;

mod chaos;
mod election;
mod garbage;
mod membership;
mod planted_bugs;
mod prevote_checkquorum;
mod reads;
mod replication;
mod restart;
mod safety;
mod snapshot;
mod transfer;
