/**
 * What the studio's bundle gives for '@tensorflow/tfjs' (scripts/build-web.mjs aliases it here): core ops, layers
 * (gantry's networks build a tfjs-layers model only for export, but import it) and the cpu and WebGL backends,
 * without the converter and tf.data the full package adds. The wasm backend is imported where it is used.
 */
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';

export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';

import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
