/**
 * @packageDocumentation
 * MedMNIST-compatible metrics, distance-based uncertainty, selective prediction, calibration and SVG/PNG
 * plots for MedSymmFlow. Pure TypeScript over plain arrays: no tensor library.
 */

// Calibration
export {
  CALIBRATION_DEFAULTS,
  type CalibrationConfig,
  expectedCalibrationError,
  fitTemperature,
  negativeLogLikelihood,
  type ReliabilityBin,
  type ReliabilityDiagram,
  type ResolvedTemperatureFitConfig,
  reliabilityDiagram,
  TEMPERATURE_FIT_DEFAULTS,
  type TemperatureFit,
  type TemperatureFitConfig,
} from './calibration';
// Distances → scores, probabilities, uncertainty
export {
  correctness,
  DISTANCE_SCORES_DEFAULTS,
  type DistanceScoreMethod,
  type DistanceScoresConfig,
  distanceAuc,
  distanceProbabilities,
  distanceUncertainty,
  type ResolvedDistanceScoresConfig,
  scoresFromDistances,
} from './distance-scores';
export {
  evaluateMedmnist,
  getACC,
  getAUC,
  MEDMNIST_TASKS,
  type MedmnistScores,
  type MedmnistTask,
} from './medmnist-metrics';
// Ordered classes (grades): mean absolute error, within-one accuracy, quadratic weighted kappa
export { type OrdinalReport, ordinalReport } from './ordinal';
// Per-class results: confusion matrix, recall, balanced accuracy
export { type PerClassReport, perClassReport } from './per-class';
// Plots
export {
  type LabelledCurve,
  type LearningCurvePlotConfig,
  type LearningCurvePoint,
  learningCurveSvg,
  PLOT_DEFAULTS,
  type PlotConfig,
  reliabilityDiagramSvg,
  riskCoverageSvg,
  type SelectivePredictionPlotConfig,
  selectivePredictionSvg,
} from './plots/plots';
export { type SvgToPngConfig, svgToPng } from './plots/png';
// MedMNIST metrics
export { rocAuc } from './roc-auc';
// Selective prediction
export {
  type AurcResult,
  applyRejectionThreshold,
  aurc,
  coverageAtAccuracy,
  evaluateRejection,
  fitRejectionThreshold,
  highestSupportedAccuracy,
  type RejectionEvaluation,
  type RejectionThreshold,
  type ResolvedSelectivePredictionConfig,
  type RiskCoverageCurve,
  type RiskCoveragePoint,
  rejectionRateAt,
  riskCoverageCurve,
  SELECTIVE_PREDICTION_DEFAULTS,
  type SelectivePredictionConfig,
  type SelectivePredictionCurve,
  type SelectivePredictionPoint,
  type SupportedAccuracy,
  selectivePrediction,
} from './selective-prediction';
// Calibration stored with a model (config.metadata.calibration)
export {
  type ClassificationSettings,
  calibrationMismatch,
  DEFAULT_CLASSIFICATION_SETTINGS,
  describeUnreachableTarget,
  floorSupported,
  type RejectionEvidence,
  readStoredCalibration,
  rejectionEvidenceJson,
  rejectionThresholdFor,
  resolveClassificationSettings,
  type StoredCalibration,
  type StoredThreshold,
  storedThresholdFor,
  supportedAccuracy,
} from './stored-calibration';

// Version
export { version } from './version';
