//! What the commands do, as library functions.

pub mod call;
pub mod fuzz;
pub mod new;
pub mod registry;
pub mod run;
pub mod test;
