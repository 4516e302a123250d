/**
 * The geography prefixes of Bedrock's cross-Region (system-defined) inference profiles. `global.` routes to any
 * commercial Region; the others stay inside their geography.
 */
const PROFILE_PREFIXES = new Set(['global', 'us', 'us-gov', 'eu', 'apac', 'au', 'jp', 'ca']);

/**
 * The Regions each cross-Region profile prefix can be called from: a profile exists only in the source Regions of
 * its geography (Bedrock user guide, "Supported Regions and models for inference profiles"). Kept to the geography
 * rather than per-model lists, so it rejects only what can never work.
 */
const PROFILE_SOURCE_REGIONS: Readonly<Record<string, (region: string) => boolean>> = {
  global: (region) => !region.startsWith('us-gov-') && !region.startsWith('cn-'),
  us: (region) => /^us-(east|west)-\d$/.test(region),
  'us-gov': (region) => region.startsWith('us-gov-'),
  eu: (region) => region.startsWith('eu-'),
  apac: (region) => region.startsWith('ap-') || region === 'me-central-1',
  au: (region) => region === 'ap-southeast-2' || region === 'ap-southeast-4',
  jp: (region) => region === 'ap-northeast-1' || region === 'ap-northeast-3',
  ca: (region) => region.startsWith('ca-'),
};

/**
 * Whether `modelId` can be invoked from `region`: `false` for a cross-Region profile used outside its geography
 * (e.g. `eu.` from ap-southeast-2), `undefined` when `modelId` is not a profile (an in-Region model id).
 */
export function profileSourceRegionFits(modelId: string, region: string): boolean | undefined {
  const [prefix, ...rest] = modelId.split('.');
  if (prefix === undefined || rest.length === 0 || !PROFILE_PREFIXES.has(prefix)) return undefined;
  return PROFILE_SOURCE_REGIONS[prefix]?.(region) ?? true;
}

/**
 * Destination Regions of geographic profiles whose list is stable enough to ship as a default. The `au.` profiles
 * route among Sydney, Melbourne and Auckland (AWS announced Auckland as part of the AU geography); naming a Region a
 * profile never uses grants nothing extra. Other prefixes need `-c modelDestinationRegions=...`.
 */
export const KNOWN_DESTINATION_REGIONS: Readonly<Record<string, readonly string[]>> = {
  au: ['ap-southeast-2', 'ap-southeast-4', 'ap-southeast-6'],
};

/** What the chat function may invoke: the ARNs IAM needs for one model id. */
export interface ModelAccess {
  /** The foundation model id without the profile prefix, e.g. `anthropic.claude-sonnet-4-6`. */
  baseModelId: string;
  /** The inference profile's ARN in the stack's Region, when `modelId` names a cross-Region profile. */
  inferenceProfileArn?: string;
  /**
   * Foundation-model ARNs in every Region the call may land in. For a profile they are granted only through that
   * profile (condition `bedrock:InferenceProfileArn`), so the function cannot call the model directly elsewhere.
   */
  foundationModelArns: string[];
}

export interface ModelAccessInput {
  modelId: string;
  region: string;
  account: string;
  partition: string;
  /** Overrides the destination Regions of a geographic profile. */
  destinationRegions?: readonly string[];
}

/** Thrown at synth when the destination Regions of a profile are unknown. */
export class ModelAccessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelAccessError';
  }
}

/**
 * Works out the IAM resources for invoking `modelId` from `region` (AWS: "IAM policy requirements for Geographic
 * cross-Region inference": the profile in the source Region plus the foundation model in each destination Region;
 * global profiles also need the Region-less foundation-model ARN).
 * @throws ModelAccessError for a geographic profile whose destination Regions are neither known nor given
 */
export function modelAccess(input: ModelAccessInput): ModelAccess {
  const { modelId, region, account, partition } = input;
  const [prefix, ...rest] = modelId.split('.');
  const isProfile = prefix !== undefined && PROFILE_PREFIXES.has(prefix) && rest.length > 0;
  if (!isProfile) {
    return {
      baseModelId: modelId,
      foundationModelArns: [`arn:${partition}:bedrock:${region}::foundation-model/${modelId}`],
    };
  }
  const baseModelId = rest.join('.');
  const inferenceProfileArn = `arn:${partition}:bedrock:${region}:${account}:inference-profile/${modelId}`;
  const modelIn = (destination: string) =>
    `arn:${partition}:bedrock:${destination}::foundation-model/${baseModelId}`;
  if (prefix === 'global') {
    return {
      baseModelId,
      inferenceProfileArn,
      foundationModelArns: [modelIn(region), `arn:${partition}:bedrock:::foundation-model/${baseModelId}`],
    };
  }
  const destinations =
    input.destinationRegions && input.destinationRegions.length > 0
      ? input.destinationRegions
      : KNOWN_DESTINATION_REGIONS[prefix];
  if (!destinations) {
    throw new ModelAccessError(
      `modelId ${modelId} is a "${prefix}." cross-Region inference profile whose destination Regions this app does not know: ` +
        `pass them with -c modelDestinationRegions=<region>,<region> (aws bedrock get-inference-profile ` +
        `--inference-profile-identifier ${modelId} --region ${region} lists them)`,
    );
  }
  const regions = [...new Set([region, ...destinations])];
  return { baseModelId, inferenceProfileArn, foundationModelArns: regions.map(modelIn) };
}
