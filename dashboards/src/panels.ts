import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  BigValueGraphMode,
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  SortOrder,
  StackingConfigBuilder,
  StackingMode,
  TooltipDisplayMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  type Panel,
  type Threshold,
  ThresholdsConfigBuilder,
  ThresholdsMode,
} from '@grafana/grafana-foundation-sdk/dashboard';
import {
  CellValuesBuilder,
  PanelBuilder as HeatmapPanelBuilder,
  YAxisConfigBuilder,
} from '@grafana/grafana-foundation-sdk/heatmap';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

/**
 * Every panel and query reads from the dashboard's `datasource` variable, never a fixed uid, so the
 * JSON imports into any Grafana whatever its Prometheus data source is called.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, meant literally.
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

export interface Query {
  expr: string;
  /** Grafana's legend template, e.g. `{{route}}`. */
  legend: string;
}

export interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  queries: readonly Query[];
  /** Grid columns out of 24. */
  width?: number;
  height?: number;
  /** Colour steps; the first applies from minus infinity. Shown as dashed lines on graphs. */
  thresholds?: readonly Threshold[];
  min?: number;
  max?: number;
  stacked?: boolean;
  /** Latency panels link their points to traces. */
  exemplars?: boolean;
}

/** A panel builder whose id the dashboard assigns, in layout order. */
export type PanelBuilder = cog.Builder<Panel> & { id(id: number): unknown };

const REF_IDS = 'ABCDEFGHIJ';

function targets(queries: readonly Query[], exemplars = false, format = PromQueryFormat.TimeSeries) {
  return queries.map((query, index) =>
    new DataqueryBuilder()
      .refId(REF_IDS.charAt(index))
      .datasource(DATASOURCE)
      .expr(query.expr)
      .legendFormat(query.legend)
      .format(format)
      .exemplar(exemplars),
  );
}

const thresholdsOf = (steps: readonly Threshold[]) =>
  new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([...steps]);

/** What the SDK's panel builders have in common, each returning its own type. */
interface CommonPanelBuilder<Self> {
  title(title: string): Self;
  description(description: string): Self;
  datasource(datasource: typeof DATASOURCE): Self;
  unit(unit: string): Self;
  span(width: number): Self;
  height(height: number): Self;
  targets(targets: cog.Builder<cog.Dataquery>[]): Self;
}

/** The part of every panel the spec decides alike, whatever the panel's type. */
function described<Builder extends CommonPanelBuilder<Builder>>(
  builder: Builder,
  spec: PanelSpec,
  size: { width: number; height: number },
  format = PromQueryFormat.TimeSeries,
): Builder {
  return builder
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit)
    .span(spec.width ?? size.width)
    .height(spec.height ?? size.height)
    .targets(targets(spec.queries, spec.exemplars, format));
}

export function timeseries(spec: PanelSpec): PanelBuilder {
  const panel = described(new TimeseriesPanelBuilder(), spec, { width: 12, height: 8 })
    .fillOpacity(spec.stacked ? 40 : 10)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.Table)
        .placement(LegendPlacement.Bottom)
        .calcs(['mean', 'max', 'lastNotNull']),
    )
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending));
  if (spec.stacked) panel.stacking(new StackingConfigBuilder().mode(StackingMode.Normal));
  if (spec.thresholds) {
    panel
      .thresholds(thresholdsOf(spec.thresholds))
      .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed));
  }
  if (spec.min !== undefined) panel.min(spec.min);
  if (spec.max !== undefined) panel.max(spec.max);
  return panel;
}

/** One number per query: its latest value, coloured by the thresholds. */
export function stat(spec: PanelSpec): PanelBuilder {
  const panel = described(new StatPanelBuilder(), spec, { width: 6, height: 4 })
    .graphMode(BigValueGraphMode.Area)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']));
  if (spec.thresholds) panel.thresholds(thresholdsOf(spec.thresholds));
  return panel;
}

/**
 * Prometheus histogram buckets drawn as they are (Grafana does not re-bucket them): `yUnit` is the
 * unit of the bucket boundaries, `unit` that of the cells.
 */
export function heatmap(spec: PanelSpec & { yUnit: string }): PanelBuilder {
  return described(new HeatmapPanelBuilder(), spec, { width: 24, height: 8 }, PromQueryFormat.Heatmap)
    .calculate(false)
    .yAxis(new YAxisConfigBuilder().unit(spec.yUnit))
    .cellValues(new CellValuesBuilder().unit(spec.unit))
    .showLegend();
}
