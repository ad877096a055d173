import { HubelError } from './errors.js';
import { resolveAttrs, type AttrInput, type AttrSchema, type AttrValue, type AttrValues } from './attrs.js';
import type { InitSpec } from './init.js';
import type { DType, Shape, Tensor } from './tensor.js';

/** A learnable (or state) tensor a layer owns, e.g. Conv's W and B or batch norm's running mean. */
export interface ParamSpec {
  /** The parameter's shape, e.g. Conv's W is `[outChannels, C / group, kH, kW]`. */
  readonly shape: Shape;
  /** How the model builder fills it: an initializer name (`'heUniform'`, `'zeros'`) or a spec. */
  readonly init: InitSpec;
  /** False for state that the optimizer must not touch (batch norm's running statistics). Default true. */
  readonly trainable?: boolean;
}

/** An ONNX attribute as written to a NodeProto (ints become INT/INTS, floats FLOAT/FLOATS). */
export type OnnxAttrValue = number | readonly number[] | string | { readonly float: number } | { readonly floats: readonly number[] };

/**
 * How a layer maps to ONNX. The exporter reads only this, so a third-party layer exports
 * without any change to `@hubel/io`.
 */
export interface OnnxMapping<A> {
  /** Opset version (of the layer's domain, or of ai.onnx for standard ops) the mapping needs. */
  readonly since: number;
  /** ONNX op type; defaults to the layer's `type`. */
  readonly opType?: string;
  /**
   * The ONNX attributes for given attribute values. Default: every attribute, camelCase names
   * turned to snake_case (`kernelShape` → `kernel_shape`), floats written as FLOAT.
   */
  readonly attrs?: (a: A) => Record<string, OnnxAttrValue | undefined>;
  /** Node input order after the data inputs: parameter names (default: declaration order). */
  readonly params?: readonly string[];
  /**
   * For layers in a custom domain: the ONNX function body, in standard ops, that other engines
   * run. Nodes read the function's formal inputs/outputs/attributes by name.
   */
  readonly functionBody?: (a: A) => OnnxFunctionBody;
  /**
   * Attributes of ours that ONNX takes as constant *inputs* (Reshape's shape, Clip's min/max,
   * Pad's pads from opset 11, Dropout's ratio, ReduceMean's axes from opset 18). The exporter
   * writes each as an initializer; the importer folds a constant input back into the attribute.
   */
  readonly inputsFromAttrs?: readonly OnnxInputFromAttr[];
  /**
   * For a layer whose whole content is one parameter (a constant): the node is exported as
   * that parameter alone (an initializer, or an ONNX Constant node when not trainable).
   */
  readonly initializer?: string;
  /**
   * How many outputs the ONNX node must name for these attributes (default: those the graph
   * reads). BatchNormalization with training_mode needs all three; the exporter names unbound
   * ones `node.Output`.
   */
  readonly requiredOutputs?: (a: A) => number;
  /** Translates ONNX attributes back to ours for import; default: snake_case → camelCase of known attributes. */
  readonly fromOnnx?: (onnxAttrs: Record<string, AttrValue>, paramShapes: readonly Shape[], inputShapes: readonly Shape[]) => Record<string, unknown>;
}

/** One attribute of ours that ONNX carries as a constant node input. */
export interface OnnxInputFromAttr {
  /** Position among the ONNX node's inputs (data inputs count from 0). */
  readonly index: number;
  /** Our attribute carrying the value. */
  readonly attr: string;
  /** Element type of the ONNX tensor. */
  readonly dtype: 'int64' | 'float' | 'bool';
  /** A rank-0 tensor holding one number (Clip's min, Dropout's ratio) instead of a 1-D list. */
  readonly scalar?: boolean;
  /**
   * First opset of the layer's domain in which ONNX takes the value as an input; below it the
   * value is a node attribute named `onnxAttr`. Default: always an input.
   */
  readonly sinceOpset?: number;
  /** The attribute's ONNX name when it is an attribute (below `sinceOpset`); default: `attr` in snake_case. */
  readonly onnxAttr?: string;
}

/** One node of an {@link OnnxFunctionBody}: a standard op reading and writing the function's names. */
export interface OnnxFunctionNode {
  /** The ONNX op type, e.g. `'Mul'`. */
  readonly opType: string;
  /** The op's domain; default `''` (ai.onnx). */
  readonly domain?: string;
  /** Value names read: the function's formal inputs or earlier nodes' outputs (`''` skips an optional input). */
  readonly inputs: readonly string[];
  /** Value names written: the function's formal outputs or intermediates. */
  readonly outputs: readonly string[];
  /** The node's attributes; a `{ tensor }` value writes a TensorProto attribute (a Constant's `value`). */
  readonly attrs?: Record<string, OnnxAttrValue | { readonly tensor: { readonly dims: readonly number[]; readonly floats?: readonly number[]; readonly int64s?: readonly number[] } }>;
}

/** A decomposition into standard ONNX ops, exported as a FunctionProto so other engines can run the layer. */
export interface OnnxFunctionBody {
  /** Formal input names: the layer's data inputs, then its parameters in {@link OnnxMapping.params} order. */
  readonly inputs: readonly string[];
  /** Formal output names, one per layer output. */
  readonly outputs: readonly string[];
  /** The body's nodes in topological order. */
  readonly nodes: readonly OnnxFunctionNode[];
  /** Extra standard opsets the body needs, e.g. { '': 18 }. */
  readonly opsets?: Record<string, number>;
}

/** The parameter record a layer declares; optional keys are parameters that may be absent (a bias). */
export type ParamRecord = { readonly [name: string]: ParamSpec | undefined };

/** Kernel-side view: required parameters are tensors, optional ones may be undefined. */
export type ParamTensors<PR> = { readonly [K in keyof PR]-?: {} extends Pick<PR, K> ? Tensor | undefined : Tensor };

/** What {@link defineLayer} takes: the layer's ONNX identity, attributes, inputs and outputs, shapes, parameters. */
export interface LayerSpec<S extends AttrSchema, PR extends ParamRecord> {
  /** '' for standard ONNX ops, 'ai.hubel' for Hubel's own. */
  readonly domain: string;
  /** ONNX op type when ONNX has the op; PascalCase otherwise. */
  readonly type: string;
  /** One line describing the layer, shown by the CLI and in error messages. */
  readonly doc?: string;
  /** The attribute schema, built with {@link attr}: types, defaults, ranges and a doc per attribute. */
  readonly attrs: S;
  /** Names of the data inputs, e.g. ['X'] or ['X', 'T'] for a loss. */
  readonly inputs?: readonly string[];
  /**
   * How many of the trailing `inputs` a node may leave out (ONNX's optional inputs, e.g. a
   * loss's class weights). Kernels then receive a shorter `inputs` array. Default 0.
   */
  readonly optionalInputs?: number;
  /** Input dtypes when not the float type, e.g. { 1: 'int32' } for class labels. */
  readonly inputDTypes?: Readonly<Record<number, DType | 'float'>>;
  /** Output dtypes when not the float type, e.g. { 1: 'int32' } for MaxPool's Indices. */
  readonly outputDTypes?: Readonly<Record<number, DType>>;
  /**
   * How many trailing `outputs` are optional (ONNX's optional outputs, e.g. MaxPool's Indices):
   * a node binds them only when asked to by name. Default 0.
   */
  readonly optionalOutputs?: number;
  /** Names of the outputs; default ['Y']. */
  readonly outputs?: readonly string[];
  /** Parameter specs for given attributes and input shapes (batch dimension included). */
  readonly params?: (a: AttrValues<S>, inputShapes: readonly Shape[]) => PR;
  /** Output shapes; throws an Error with a plain message on inconsistent shapes. */
  readonly inferShapes: (a: AttrValues<S>, inputShapes: readonly Shape[]) => Shape[];
  /** Cross-attribute checks; throws a plain message. */
  readonly validate?: (a: AttrValues<S>) => void;
  /** How the layer exports to ONNX and imports back; a layer without it cannot be exported. */
  readonly onnx?: OnnxMapping<AttrValues<S>>;
  /** Loss layers output a scalar to minimise; the trainer and gradient checker seed backward there. */
  readonly role?: 'layer' | 'loss';
}

/** A layer definition: everything about a layer except its arithmetic, as data. */
export interface LayerDefinition<S extends AttrSchema = AttrSchema, PR extends ParamRecord = ParamRecord> extends LayerSpec<S, PR> {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** `domain::type`, the registry key. */
  readonly key: string;
  readonly role: 'layer' | 'loss';
  /** Applies defaults and validates, with errors naming `where` (usually the node). */
  resolve(given: AttrInput<S> | Record<string, unknown> | undefined, where?: string): AttrValues<S>;
}

/** Any layer definition, whatever its attributes and parameters. */
export type AnyLayer = LayerDefinition<any, any>;
/** The resolved attribute values of layer definition `D`, as kernels see them. */
export type AttrsOf<D> = D extends LayerDefinition<infer S, any> ? AttrValues<S> : never;
/** The attributes a user passes for layer definition `D` (required ones required, others optional). */
export type AttrInputOf<D> = D extends LayerDefinition<infer S, any> ? AttrInput<S> : never;
/** The parameter record type of layer definition `D`. */
export type ParamRecordOf<D> = D extends LayerDefinition<any, infer PR> ? PR : never;
/** Parameter names of a layer. */
export type ParamsOf<D> = keyof ParamRecordOf<D> & string;

/** Defines a layer. The returned object is frozen data keyed by `domain::type`. */
export function defineLayer<S extends AttrSchema, PR extends ParamRecord = {}>(spec: LayerSpec<S, PR>): LayerDefinition<S, PR> {
  const key = `${spec.domain}::${spec.type}`;
  const def: LayerDefinition<S, PR> = {
    ...spec,
    inputs: spec.inputs ?? ['X'],
    outputs: spec.outputs ?? ['Y'],
    role: spec.role ?? 'layer',
    key,
    resolve(given, where = spec.type) {
      const a = resolveAttrs(spec.attrs, given as Record<string, unknown> | undefined, where);
      if (spec.validate) {
        try {
          spec.validate(a);
        } catch (e) {
          throw withWhere(e, where);
        }
      }
      return a;
    },
  };
  return Object.freeze(def);
}

function withWhere(e: unknown, where: string): HubelError {
  if (e instanceof HubelError) return e;
  return new HubelError('attribute', `${where}: ${(e as Error).message}`, { cause: e });
}

/** `layerLabel(def)` → `Conv` or `ai.hubel.Maxout`, for messages. */
export function layerLabel(def: { domain: string; type: string }): string {
  return def.domain ? `${def.domain}.${def.type}` : def.type;
}
