// Package systemd is sbpd's side of systemd's notify protocol
// (packaging/sbpd.service: Type=notify, WatchdogSec):
//
//   - STATUS=starting… before the journal opens (Link.Starting);
//   - READY=1 once the daemon is open: the journal is open and every
//     unfinished payment has been reconciled with PayMaster (Link.Ready);
//   - WATCHDOG=1 every half WatchdogSec, but only while the daemon's health
//     check passes (Watchdog); a hung daemon stops pinging and systemd
//     kills and restarts it;
//   - STOPPING=1 on SIGTERM/SIGINT, before the daemon closes (Link.Stopping).
//
// Without NOTIFY_SOCKET (sbpd run by hand, in a container, in tests) every
// one of these does nothing. A failure to tell systemd is logged once and
// never returned: systemd's bookkeeping must not stop a payment daemon.
package systemd
