//! The synchronisation primitives the store is built on: `std`'s, or loom's when the
//! crate is compiled with `--cfg loom` so the loom model explores the real code.
//!
//! Lock poisoning is ignored on purpose: a panic in a caller's code never leaves the
//! store half-updated (every state change is one assignment made under the lock), so
//! the other threads may keep using it.

#[cfg(loom)]
pub(crate) use loom::sync::{
    Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
#[cfg(loom)]
pub(crate) use loom::thread;

#[cfg(not(loom))]
pub(crate) use std::sync::{
    Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
#[cfg(not(loom))]
pub(crate) use std::thread;

use std::sync::PoisonError;

/// How many times [`read`] tries the lock, a spin-loop hint apart, before it
/// blocks: a few microseconds, longer than a writer holds it for one delta
/// operation.
#[cfg(not(loom))]
const READ_SPINS: u32 = 200;

/// Shared access to `lock`.
///
/// A writer holds the lock for one delta operation (about a microsecond). A
/// reader that blocked on it at once would sleep in the kernel and pay the
/// wake-up, ten or more times the wait itself, so it first retries for a while.
#[cfg(not(loom))]
pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    use std::sync::TryLockError;
    for _ in 0..READ_SPINS {
        match lock.try_read() {
            Ok(guard) => return guard,
            Err(TryLockError::Poisoned(p)) => return p.into_inner(),
            Err(TryLockError::WouldBlock) => std::hint::spin_loop(),
        }
    }
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// Shared access to `lock` (loom explores the blocking read only).
#[cfg(loom)]
pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// Exclusive access to `lock`.
pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// Locks `mutex`.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `cond`, giving `guard` back once notified.
pub(crate) fn wait<'a, T>(cond: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    cond.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `cond` for at most `timeout`, giving `guard` back once notified or timed
/// out.
pub(crate) fn wait_timeout<'a, T>(
    cond: &Condvar,
    guard: MutexGuard<'a, T>,
    timeout: std::time::Duration,
) -> MutexGuard<'a, T> {
    match cond.wait_timeout(guard, timeout) {
        Ok((guard, _)) => guard,
        Err(poisoned) => poisoned.into_inner().0,
    }
}
