using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Prometheus;

namespace Gatehouse.Gateway.Observability;

/// <summary>
/// Publishes one meter's instruments in a prometheus-net registry, with Prometheus' conventions:
/// counters as counters named <c>..._total</c>, up-down counters as gauges, histograms as
/// histograms; names from the instrument's (dots to underscores) with the unit as a suffix
/// (<c>s</c>: <c>_seconds</c>, <c>By</c>: <c>_bytes</c>). prometheus-net renders the text format.
/// </summary>
/// <remarks>
/// prometheus-net's own meter adapter publishes counters as gauges and prefixes every name with the
/// meter's, and listens to meters by name (several gateways in one process would be summed): this
/// listens to one <see cref="Meter"/> instance.
/// </remarks>
internal sealed class PrometheusBridge : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly MetricFactory _factory;
    private readonly ConcurrentDictionary<Instrument, Published> _published = new();
    private volatile bool _disposed;

    public PrometheusBridge(Meter meter, CollectorRegistry registry)
    {
        _factory = Metrics.WithCustomRegistry(registry);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, m, tags, _) => OnMeasurement(i, m, tags));
        _listener.SetMeasurementEventCallback<int>((i, m, tags, _) => OnMeasurement(i, m, tags));
        _listener.SetMeasurementEventCallback<double>((i, m, tags, _) => OnMeasurement(i, m, tags));
        _listener.Start();
        registry.AddBeforeCollectCallback(() =>
        {
            if (!_disposed)
            {
                _listener.RecordObservableInstruments();
            }
        });
    }

    /// <summary>The Prometheus name of <paramref name="instrument"/>.</summary>
    public static string NameOf(Instrument instrument)
    {
        string name = instrument.Name.Replace('.', '_');
        string? suffix = instrument.Unit switch
        {
            "s" => "_seconds",
            "By" => "_bytes",
            _ => null,
        };
        if (suffix is not null && !name.EndsWith(suffix, StringComparison.Ordinal))
        {
            name += suffix;
        }

        return IsCounter(instrument) ? name + "_total" : name;
    }

    private static bool IsCounter(Instrument instrument) =>
        instrument is Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double>;

    private static bool IsObservable(Instrument instrument) => instrument.IsObservable;

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (!_published.TryGetValue(instrument, out var published))
        {
            // Label names from the instrument's first measurement (each of ours always has the same
            // keys). Two threads may both get here: the registry hands both the same collector.
            var names = new string[tags.Length];
            for (int i = 0; i < tags.Length; i++)
            {
                names[i] = tags[i].Key;
            }

            published = _published.GetOrAdd(instrument, Publish(instrument, names));
        }

        if (published.LabelNames.Length != tags.Length)
        {
            return; // a measurement with other tags than the first one's: not publishable under this name
        }

        string[] buffer = ArrayPool<string>.Shared.Rent(Math.Max(1, tags.Length));
        try
        {
            for (int i = 0; i < tags.Length; i++)
            {
                buffer[i] = tags[i].Value?.ToString() ?? string.Empty;
            }

            var labels = new ReadOnlySpan<string>(buffer, 0, tags.Length);
            switch (published.Collector)
            {
                case Counter counter when IsObservable(instrument):
                    counter.WithLabels(labels).IncTo(value);
                    break;
                case Counter counter:
                    counter.WithLabels(labels).Inc(value);
                    break;
                case Gauge gauge when IsObservable(instrument):
                    gauge.WithLabels(labels).Set(value);
                    break;
                case Gauge gauge:
                    gauge.WithLabels(labels).Inc(value);
                    break;
                case Histogram histogram:
                    histogram.WithLabels(labels).Observe(value);
                    break;
            }
        }
        finally
        {
            ArrayPool<string>.Shared.Return(buffer);
        }
    }

    private Published Publish(Instrument instrument, string[] labelNames)
    {
        string name = NameOf(instrument);
        string help = instrument.Description ?? instrument.Name;
        Collector collector = instrument switch
        {
            _ when IsCounter(instrument) => _factory.CreateCounter(name, help, labelNames),
            Histogram<double> or Histogram<long> or Histogram<int> => _factory.CreateHistogram(name, help, labelNames, new HistogramConfiguration
            {
                // The instrument's advised boundaries (GatewayMetrics), else powers of two from 100 µs.
                Buckets = (instrument as Histogram<double>)?.Advice?.HistogramBucketBoundaries?.ToArray() ?? Histogram.ExponentialBuckets(0.0001, 2, 20),
            }),
            _ => _factory.CreateGauge(name, help, labelNames),
        };
        return new Published(collector, labelNames);
    }

    public void Dispose()
    {
        _disposed = true;
        _listener.Dispose();
    }

    private sealed record Published(Collector Collector, string[] LabelNames);
}
