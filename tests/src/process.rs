//! A test's child process: its stdout read line by line, killed and reaped when dropped,
//! so that no test ever leaves a process behind.

use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::sync::mpsc;

/// A running child process.
pub struct ChildProcess {
    name: String,
    child: std::process::Child,
    /// The lines it printed and nobody read yet.
    pub lines: mpsc::UnboundedReceiver<String>,
}

impl ChildProcess {
    /// Starts `program` with `args` (and the test's environment, `DATABASE_URL`
    /// included); its stderr goes to the test's.
    pub fn start(program: &str, args: &[&str]) -> Self {
        let mut child = Command::new(program)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {program}: {error}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        let name = program.rsplit('/').next().unwrap_or(program).to_owned();
        ChildProcess { name, child, lines }
    }

    /// Waits up to `within` for the next line, which must be `expected`.
    pub async fn expect_line(&mut self, expected: &str, within: Duration) {
        match tokio::time::timeout(within, self.lines.recv()).await {
            Ok(Some(line)) => assert_eq!(line, expected, "{}", self.name),
            Ok(None) => panic!(
                "{} ended ({:?}) before printing `{expected}`",
                self.name,
                self.child.try_wait()
            ),
            Err(_) => panic!("{} did not print `{expected}` within {within:?}", self.name),
        }
    }

    /// Waits up to `within` for a line equal to `expected`, passing over others.
    pub async fn wait_for_line(&mut self, expected: &str, within: Duration) {
        let found = tokio::time::timeout(within, async {
            while let Some(line) = self.lines.recv().await {
                if line == expected {
                    return true;
                }
            }
            false
        })
        .await;
        match found {
            Ok(true) => {}
            Ok(false) => panic!("{} ended before printing `{expected}`", self.name),
            Err(_) => panic!("{} did not print `{expected}` within {within:?}", self.name),
        }
    }

    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, and reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
