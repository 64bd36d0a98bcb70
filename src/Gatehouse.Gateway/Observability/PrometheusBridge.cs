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

        object child = tags.Length <= 4 ? published.ChildFor(tags) : published.NewChild(tags);
        switch (child)
        {
            case Counter.Child counter when instrument.IsObservable:
                counter.IncTo(value);
                break;
            case Counter.Child counter:
                counter.Inc(value);
                break;
            case Gauge.Child gauge when instrument.IsObservable:
                gauge.Set(value);
                break;
            case Gauge.Child gauge:
                gauge.Inc(value);
                break;
            case Histogram.Child histogram:
                histogram.Observe(value);
                break;
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

    /// <summary>An instrument's collector, and its children by label values (up to four labels: looked up without allocating).</summary>
    private sealed class Published(Collector collector, string[] labelNames)
    {
        private readonly ConcurrentDictionary<LabelValues, object> _children = new();

        public string[] LabelNames => labelNames;

        public object ChildFor(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = new LabelValues(
                tags.Length > 0 ? Text(tags[0].Value) : null,
                tags.Length > 1 ? Text(tags[1].Value) : null,
                tags.Length > 2 ? Text(tags[2].Value) : null,
                tags.Length > 3 ? Text(tags[3].Value) : null);
            if (_children.TryGetValue(key, out var child))
            {
                return child;
            }

            return _children.GetOrAdd(key, NewChild(tags));
        }

        public object NewChild(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string[] values = new string[tags.Length];
            for (int i = 0; i < tags.Length; i++)
            {
                values[i] = Text(tags[i].Value);
            }

            return collector switch
            {
                Counter c => c.WithLabels(values),
                Gauge g => g.WithLabels(values),
                Histogram h => h.WithLabels(values),
                _ => throw new InvalidOperationException("unexpected collector " + collector.GetType().Name),
            };
        }

        private static string Text(object? value) => value as string ?? value?.ToString() ?? string.Empty;
    }

    private readonly record struct LabelValues(string? A, string? B, string? C, string? D);
}
