//! Sans-IO Raft consensus core.
