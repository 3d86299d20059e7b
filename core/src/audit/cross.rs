//! Rules that read several files and the host profile: the memory budget,
//! database connections, nginx capacity, Little's law, timeout ordering,
//! the request-body chain, backlogs and deploy coherence. (To be written.)

use super::Rule;

pub fn rules() -> Vec<Rule> {
    Vec::new()
}
