//! Sans-IO gossip core.
