//! The crypto backend conformance suite (being written).
