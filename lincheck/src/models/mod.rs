//! The models that ship: the simulator's key-value store and Jepsen's
//! compare-and-set register.

pub mod kv;
pub mod register;
