pub use crate::suite::suggest::nearest;
pub use crate::suite::yaml::find_line;
