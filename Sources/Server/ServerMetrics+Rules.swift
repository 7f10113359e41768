import Prometheus
import Rules

/// The rule engine's and the notifier's metrics, under Prometheus' names
/// (`prometheus_rule_*`, `prometheus_notifications_*`).
extension ServerMetrics {
    public func record(_ event: RuleEvent) {
        switch event {
        case .groupEvaluated(let group, let file, let seconds, let rules, let failures):
            let labels = [("rule_group", file + ";" + group)]
            registry.makeCounter(descriptor: metric("prometheus_rule_evaluations_total", "The total number of rule evaluations."), labels: labels).increment(by: Int64(rules))
            registry.makeCounter(descriptor: metric("prometheus_rule_evaluation_failures_total", "The total number of rule evaluation failures."), labels: labels).increment(by: Int64(failures))
            registry.makeGauge(descriptor: metric("prometheus_rule_group_last_duration_seconds", "The duration of the last rule group evaluation."), labels: labels).set(seconds)
            registry.makeCounter(descriptor: metric("prometheus_rule_group_iterations_total", "The total number of scheduled rule group evaluations, whether executed or missed."), labels: labels).increment()
        case .iterationsMissed(let group, let file, let count):
            registry.makeCounter(descriptor: metric("prometheus_rule_group_iterations_missed_total", "The total number of rule group evaluations missed due to slow rule group evaluation."), labels: [("rule_group", file + ";" + group)])
                .increment(by: Int64(count))
        case .ruleFailed:
            break  // counted with the group's evaluation
        }
    }

    public func record(_ event: NotifierEvent) {
        switch event {
        case .sent(let am, let alerts, _):
            registry.makeCounter(descriptor: metric("prometheus_notifications_sent_total", "Total number of alerts sent."), labels: [("alertmanager", am)]).increment(by: Int64(alerts))
        case .failed(let am, let alerts, _):
            registry.makeCounter(descriptor: metric("prometheus_notifications_errors_total", "Total number of sent alerts affected by errors."), labels: [("alertmanager", am)]).increment(by: Int64(alerts))
            registry.makeCounter(descriptor: metric("prometheus_notifications_sent_total", "Total number of alerts sent."), labels: [("alertmanager", am)]).increment(by: Int64(alerts))
        case .dropped(let n):
            registry.makeCounter(descriptor: metric("prometheus_notifications_dropped_total", "Total number of alerts dropped due to errors when sending to Alertmanager.")).increment(by: Int64(n))
        case .queueLength(let n):
            registry.makeGauge(descriptor: metric("prometheus_notifications_queue_length", "The number of alert notifications in the queue."))
                .set(Double(n))
        case .alertmanagers(let urls):
            registry.makeGauge(descriptor: metric("prometheus_notifications_alertmanagers_discovered", "The number of alertmanagers discovered and active.")).set(Double(urls.count))
        }
    }
}
