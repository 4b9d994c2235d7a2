//! Tutorial 5, "Repositories": creating, loading, saving and conflicting aggregates.
//!
//! Run with `cargo run -p eventsource-examples --bin tutorial`.

use eventsource::prelude::*;
use eventsource_examples::task::Task;

fn section(title: &str) {
    println!("\n{title}");
    println!("{}", "-".repeat(60));
}

fn show_uuid(id: Option<Uuid>) -> String {
    id.map_or_else(|| "nobody".to_owned(), |id| id.to_string())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("{}", "=".repeat(60));
    println!("Tutorial 5: Repositories");
    println!("{}", "=".repeat(60));

    let store = InMemoryEventStore::new();
    let repo = Repository::<Task, _>::new(store.clone());

    section("1. Creating new task");
    let task_id = Uuid::now_v7();
    let mut task = repo.create_new(task_id);
    task.execute(|t| t.create("Learn repositories", "Complete tutorial 5"))?;
    repo.save(&mut task).await?;
    println!("   Created task: {}", task.title);
    println!("   Version: {}", task.version());
    println!("   Uncommitted events: {}", task.pending_events().len());

    section("2. Load and modify");
    let mut task = repo.load(task_id).await?;
    println!("   Loaded task v{}: {}", task.version(), task.title);
    let user_id = Uuid::now_v7();
    task.execute(|t| t.assign(user_id))?;
    repo.save(&mut task).await?;
    println!("   Assigned to: {}", show_uuid(task.assigned_to));
    println!("   Version: {}", task.version());

    section("3. Load-modify-save pattern");
    let mut task = repo.load(task_id).await?;
    task.execute(|t| t.complete(user_id))?;
    repo.save(&mut task).await?;
    println!("   Completed task");
    println!("   Status: {}", task.status);
    println!("   Version: {}", task.version());

    section("4. Checking existence");
    let exists = repo.exists(&task_id).await?;
    let version = repo.get_version(&task_id).await?;
    println!("   Task exists: {exists}");
    println!("   Current version: {version}");

    section("5. Load or create");
    let new_id = Uuid::now_v7();
    let mut task2 = repo.load_or_create(new_id).await?;
    println!("   Task version: {}", task2.version());
    println!("   Is new: {}", task2.version() == 0);
    task2.execute(|t| t.create("Another task", "Created via load_or_create"))?;
    repo.save(&mut task2).await?;
    println!("   Saved new task v{}", task2.version());

    section("6. Optimistic locking");
    let mut task_a = repo.load(task_id).await?;
    let mut task_b = repo.load(task_id).await?;
    task_a.execute(|t| t.assign(Uuid::now_v7()))?;
    repo.save(&mut task_a).await?;
    println!("   Process A saved successfully");
    task_b.execute(|t| t.assign(Uuid::now_v7()))?;
    match repo.save(&mut task_b).await {
        Err(eventsource::Error::Conflict {
            expected, actual, ..
        }) => {
            println!("   Process B failed with conflict:");
            println!("   - Expected version: {expected}");
            println!("   - Actual version: {actual}");
        }
        Err(other) => return Err(other.into()),
        Ok(()) => return Err("process B saved over process A's change".into()),
    }

    section("7. Event history");
    let events = store.read_stream(&task.stream(), 0).await?;
    println!("   Total events: {}", events.len());
    for event in &events {
        println!("   - v{}: {}", event.version, event.event_type);
    }

    section("8. Final state");
    let final_task = repo.load(task_id).await?;
    println!("   Task ID: {}", final_task.id());
    println!("   Title: {}", final_task.title);
    println!("   Status: {}", final_task.status);
    println!("   Assigned to: {}", show_uuid(final_task.assigned_to));
    println!("   Version: {}", final_task.version());

    println!("\n{}", "=".repeat(60));
    println!("Tutorial complete!");
    println!("{}", "=".repeat(60));
    Ok(())
}
