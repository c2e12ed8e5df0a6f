//! The upgrade workflow drawn as a graph: its points (`pointStatuses`) as nodes coloured by status,
//! its lines (`lineStatuses`) as arrows, the critical ones marked. Server-rendered SVG: no script, no
//! graph library; the page's live region redraws it.

use maud::{html, Markup};
use serde_json::Value;

use crate::ui::text;

const WIDTH: i64 = 760;
const HEIGHT: i64 = 230;
const NODE_W: i64 = 150;
const NODE_H: i64 = 64;

/// Where each point is drawn: the main path left to right, points off the path above it.
fn position(task_type: &str, index: usize) -> (i64, i64) {
    match task_type {
        "PreCheck" => (20, 130),
        "Snapshot" => (210, 20),
        "Cluster" => (400, 130),
        "PostCheck" => (590, 130),
        _ => (20 + 190 * index as i64 % WIDTH, 20),
    }
}

/// The CSS class (colour) of a point's status.
pub fn status_class(status: &str) -> &'static str {
    match status {
        "Success" => "ok",
        "Failed" => "bad",
        "Running" | "Init" | "Queuing" => "busy",
        "Pause" | "Paused" => "paused",
        "" => "none",
        _ => "busy",
    }
}

/// The graph of a workflow view (`status.pointStatuses`, `status.lineStatuses`).
pub fn workflow(w: &Value) -> Markup {
    let points: Vec<&Value> = w["status"]["pointStatuses"].as_array().into_iter().flatten().collect();
    let lines: Vec<&Value> = w["status"]["lineStatuses"].as_array().into_iter().flatten().collect();
    let at = |t: &str| {
        points
            .iter()
            .position(|p| p["taskType"] == t)
            .map(|i| position(t, i))
            .unwrap_or_else(|| position(t, 0))
    };
    let phase = text(&w["status"]["phase"]);
    html! {
        svg.graph viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } width=(WIDTH) height=(HEIGHT) role="img"
            aria-labelledby="graph-title graph-desc" xmlns="http://www.w3.org/2000/svg" {
            title #graph-title { "Upgrade workflow, " (phase) }
            desc #graph-desc {
                @for p in &points { (text(&p["taskType"])) ": " (if p["status"].is_null() { "not started".to_string() } else { text(&p["status"]) }) ". " }
            }
            defs {
                marker #arrow viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse" {
                    path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" {}
                }
            }
            @for l in &lines {
                @let (from, to) = (text(&l["startPoint"]["taskType"]), text(&l["endPoint"]["taskType"]));
                @let ((x1, y1), (x2, y2)) = (at(&from), at(&to));
                @let critical = l["critical"].as_bool().unwrap_or(false);
                line class=(if critical { "edge critical" } else { "edge" })
                    x1=(x1 + NODE_W) y1=(y1 + NODE_H / 2) x2=(x2) y2=(y2 + NODE_H / 2) marker-end="url(#arrow)" {
                    title { (from) " → " (to) @if critical { " (critical: no cancel once started)" } }
                }
                @if critical {
                    text.edge-label x=((x1 + NODE_W + x2) / 2) y=(y1 + NODE_H + 16) text-anchor="middle" { "critical" }
                }
            }
            @for (i, p) in points.iter().enumerate() {
                @let t = text(&p["taskType"]);
                @let status = text(&p["status"]);
                @let (x, y) = position(&t, i);
                g class={ "node " (status_class(&status)) } data-point=(t) {
                    rect x=(x) y=(y) width=(NODE_W) height=(NODE_H) rx="8" {}
                    text x=(x + NODE_W / 2) y=(y + 26) text-anchor="middle" class="node-title" { (t) }
                    text x=(x + NODE_W / 2) y=(y + 48) text-anchor="middle" class="node-status" {
                        (if status.is_empty() { "not started" } else { status.as_str() })
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn points_are_nodes_coloured_by_status_and_critical_lines_are_marked() {
        let w = json!({"status": {"phase": "Running",
            "pointStatuses": [{"taskType": "PreCheck", "status": "Success"}, {"taskType": "Snapshot"},
                              {"taskType": "Cluster", "status": "Failed"}, {"taskType": "PostCheck"}],
            "lineStatuses": [
                {"startPoint": {"taskType": "PreCheck"}, "endPoint": {"taskType": "Cluster"}, "critical": false},
                {"startPoint": {"taskType": "Cluster"}, "endPoint": {"taskType": "PostCheck"}, "critical": true}]}});
        let svg = workflow(&w).into_string();
        assert_eq!(svg.matches("<rect").count(), 4, "{svg}");
        assert!(svg.contains(r#"class="node ok" data-point="PreCheck""#), "{svg}");
        assert!(svg.contains(r#"class="node bad" data-point="Cluster""#), "{svg}");
        assert!(svg.contains(r#"class="node none" data-point="Snapshot""#), "{svg}");
        assert_eq!(svg.matches(r#"class="edge critical""#).count(), 1, "{svg}");
        assert_eq!(svg.matches(r#"class="edge""#).count(), 1, "{svg}");
    }

    #[test]
    fn text_is_escaped() {
        let w = json!({"status": {"phase": "<script>", "pointStatuses": [{"taskType": "<b>"}], "lineStatuses": []}});
        let svg = workflow(&w).into_string();
        assert!(!svg.contains("<script>") && !svg.contains("<b>"), "{svg}");
    }
}
