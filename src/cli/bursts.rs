//! The engine's events, taken in bursts. Every event sent to a thread that is blocked waiting
//! for it costs a futex wake and a context switch (a cross-CPU interrupt on a VM): one per event
//! made this thread's wake-ups a tenth of a fast run's CPU. While events keep coming, this takes
//! all that are waiting, then looks again only after a short pause; idle, it blocks.

use std::collections::VecDeque;
use std::time::Duration;

use crate::engine::{Engine, Event};

/// How long a busy reader lets events gather: short enough that the last one of a run is seen
/// at once, long enough that a burst is dozens of events, not one.
const GATHER: Duration = Duration::from_millis(4);

pub(super) struct Bursts<'a> {
    engine: &'a Engine,
    waiting: VecDeque<Event>,
    /// The last look found events: more are likely, so the next look waits [`GATHER`] first.
    busy: bool,
}

impl<'a> Bursts<'a> {
    pub(super) fn new(engine: &'a Engine) -> Self {
        Self {
            engine,
            waiting: VecDeque::new(),
            busy: false,
        }
    }

    /// The next event; `None` once the engine has stopped.
    pub(super) fn next(&mut self) -> Option<Event> {
        if let Some(event) = self.waiting.pop_front() {
            return Some(event);
        }
        if self.busy {
            std::thread::sleep(GATHER);
            self.take_waiting();
            if let Some(event) = self.waiting.pop_front() {
                return Some(event);
            }
            self.busy = false;
        }
        let first = self.engine.recv()?;
        self.busy = true;
        self.take_waiting();
        Some(first)
    }

    fn take_waiting(&mut self) {
        while let Some(event) = self.engine.try_recv() {
            self.waiting.push_back(event);
        }
    }
}
