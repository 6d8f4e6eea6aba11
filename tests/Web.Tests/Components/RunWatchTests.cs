using Dashboard.Data;
using Dashboard.Web.Components;

namespace Dashboard.Web.Tests.Components;

public class RunWatchTests
{
    [Fact]
    public async Task Many_events_reach_a_page_as_a_few_calls_naming_the_runs_that_changed()
    {
        var events = new RunEvents();
        var calls = new List<IReadOnlySet<long>>();
        using var watch = new RunWatch(events, runs => { lock (calls) calls.Add(runs); return Task.CompletedTask; },
            wanted: id => id != 3, every: TimeSpan.FromMilliseconds(100));
        for (int i = 0; i < 500; i++) events.Publish(new RunEvent(i % 2 == 0 ? 1 : 2, RunEventKind.MetricsWritten));
        events.Publish(new RunEvent(3, RunEventKind.StatusChanged));
        await Task.Delay(600);
        lock (calls)
        {
            Assert.InRange(calls.Count, 1, 2);
            Assert.Equal([1L, 2L], calls.SelectMany(c => c).Distinct().Order());
        }
    }

    [Fact]
    public async Task A_disposed_watch_calls_nothing()
    {
        var events = new RunEvents();
        int calls = 0;
        var watch = new RunWatch(events, _ => { Interlocked.Increment(ref calls); return Task.CompletedTask; }, every: TimeSpan.FromMilliseconds(50));
        events.Publish(new RunEvent(1, RunEventKind.StatusChanged));
        watch.Dispose();
        await Task.Delay(300);
        events.Publish(new RunEvent(1, RunEventKind.StatusChanged));
        await Task.Delay(200);
        Assert.Equal(0, calls);
    }
}
