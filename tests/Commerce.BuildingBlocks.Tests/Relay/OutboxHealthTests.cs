using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.BuildingBlocks.Tests.Relay;

public sealed class OutboxHealthTests(DataPlatformApp app) : IClassFixture<DataPlatformApp>
{
    [Fact]
    public async Task Ready_reports_the_outbox_figures_and_turns_degraded_not_unhealthy_once_the_oldest_pending_event_is_too_old()
    {
        app.Platform.Answer = _ => 503;
        var member = await app.NewMemberAsync();
        (await app.ClientFor(member).PostAsJsonAsync("/api/me/points/charge", new { amount = 1_000 })).EnsureSuccessStatusCode();
        for (var i = 0; i < 200 && await app.Sql.ScalarAsync<int>("SELECT coalesce(max(attempts), 0) FROM platform.outbox") == 0; i++)
        {
            await Task.Delay(25);
        }

        var fresh = await ReadyAsync();
        Assert.Equal(("Healthy", "Healthy"), (fresh.Status, fresh.Outbox.GetProperty("status").GetString()));
        var data = fresh.Outbox.GetProperty("data");
        Assert.Equal((1, 0, 0, 1), (data.GetProperty("pending").GetInt64(), data.GetProperty("oldestPendingAgeSeconds").GetDouble(),
            data.GetProperty("deadLetters").GetInt64(), data.GetProperty("failedSinceStart").GetInt64()));
        Assert.Equal(0, data.GetProperty("deliveredSinceStart").GetInt64());
        Assert.Equal(0, data.GetProperty("deadLetteredSinceStart").GetInt64());

        app.Clock.Advance(TimeSpan.FromMinutes(6));
        var old = await ReadyAsync();

        Assert.Equal(("Degraded", "Degraded"), (old.Status, old.Outbox.GetProperty("status").GetString()));
        Assert.True(old.Outbox.GetProperty("data").GetProperty("oldestPendingAgeSeconds").GetDouble() >= 360);
        Assert.Contains("the data platform is not keeping up", old.Outbox.GetProperty("description").GetString());
        var gauges = ObserveGauges();
        Assert.Equal(1, gauges["commerce.outbox.pending"]);
        Assert.True(gauges["commerce.outbox.oldest_pending_age"] >= 360);
        Assert.Equal(0, gauges["commerce.outbox.dead_letters"]);
    }

    private async Task<(string Status, JsonElement Outbox)> ReadyAsync()
    {
        var response = await app.Anonymous().GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (report.GetProperty("status").GetString()!, report.GetProperty("checks").GetProperty("outbox"));
    }

    /// <summary>The host's own Commerce.Outbox gauges, read as a metrics collector would.</summary>
    private Dictionary<string, double> ObserveGauges()
    {
        var factory = app.Services.GetRequiredService<IMeterFactory>();
        var values = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == OutboxMetrics.MeterName && instrument.Meter.Scope == factory)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => values[instrument.Name] = value);
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => values[instrument.Name] = value);
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }
}
