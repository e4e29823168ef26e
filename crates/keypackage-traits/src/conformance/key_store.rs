//! The key-store conformance suite (being written).
