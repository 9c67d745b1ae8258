//! Resource inventory (the vendor guide's table, for this install).
