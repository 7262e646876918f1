//! The home of the server's background work: every periodic task and service loop is started
//! here, by name, with one stop signal, so shutdown stops them all (in the reverse of the order
//! they started, each given a moment to finish its round) and none outlives the store.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long shutdown waits for a task to finish its round before cancelling it.
const GRACE: Duration = Duration::from_secs(5);

pub struct Background {
    stop: watch::Sender<bool>,
    tasks: Mutex<Vec<(&'static str, JoinHandle<()>)>>,
}

impl Default for Background {
    fn default() -> Self {
        Background {
            stop: watch::channel(false).0,
            tasks: Mutex::new(Vec::new()),
        }
    }
}

impl Background {
    /// Resolves once shutdown has begun; a loop selects on it.
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut stop = self.stop.subscribe();
        async move {
            let _ = stop.wait_for(|stopping| *stopping).await;
        }
    }

    /// Starts a task that watches `stopped()` itself (a service loop).
    pub fn spawn(&self, name: &'static str, task: impl Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(task);
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((name, handle));
    }

    /// Runs `round` every `period` until shutdown; the first round comes after one period. A
    /// round in progress when shutdown begins is finished.
    pub fn every<F, Fut>(&self, name: &'static str, period: Duration, round: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        self.periodic(name, period, true, round);
    }

    /// Like `every`, with a first round at once.
    pub fn every_from_now<F, Fut>(&self, name: &'static str, period: Duration, round: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        self.periodic(name, period, false, round);
    }

    fn periodic<F, Fut>(&self, name: &'static str, period: Duration, wait_first: bool, mut round: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let stopped = self.stopped();
        self.spawn(name, async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            if wait_first {
                tick.tick().await;
            }
            tokio::pin!(stopped);
            loop {
                tokio::select! {
                    () = &mut stopped => return,
                    _ = tick.tick() => round().await,
                }
            }
        });
    }

    /// The names of the tasks running, in the order they started.
    pub fn running(&self) -> Vec<&'static str> {
        let tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks
            .iter()
            .filter(|(_, h)| !h.is_finished())
            .map(|(name, _)| *name)
            .collect()
    }

    /// Signals every task to stop and waits for each, the last started first.
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        for (name, handle) in tasks.into_iter().rev() {
            let abort = handle.abort_handle();
            if tokio::time::timeout(GRACE, handle).await.is_err() {
                tracing::warn!(task = name, "a background task did not stop in time; cancelled");
                abort.abort();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn periodic_work_runs_each_period_until_shutdown_and_not_after() {
        let background = Background::default();
        let rounds = Arc::new(AtomicU32::new(0));
        let counted = rounds.clone();
        background.every("counter", Duration::from_secs(10), move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        });
        tokio::time::sleep(Duration::from_secs(35)).await;
        assert_eq!(rounds.load(Ordering::SeqCst), 3);
        assert_eq!(background.running(), vec!["counter"]);
        background.shutdown().await;
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(rounds.load(Ordering::SeqCst), 3, "no round after shutdown");
        assert!(background.running().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_waits_for_every_service_loop_to_stop() {
        let background = Background::default();
        let order = Arc::new(Mutex::new(Vec::new()));
        for name in ["first", "second"] {
            let (stopped, order) = (background.stopped(), order.clone());
            background.spawn(name, async move {
                stopped.await;
                order.lock().unwrap().push(name);
            });
        }
        background.shutdown().await;
        let order = order.lock().unwrap().clone();
        assert_eq!(order.len(), 2);
        assert!(order.contains(&"first") && order.contains(&"second"));
    }
}
