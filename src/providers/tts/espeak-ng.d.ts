/**
 * Types for the `espeak-ng` npm package (an Emscripten build of espeak-ng's command line, GPL-3.0,
 * shipped without types): what `espeak-wasm-worker.ts` uses of its MODULARIZE factory. Each call
 * instantiates a fresh module and runs `main(arguments)` once.
 */
declare module 'espeak-ng' {
  export interface ESpeakNgModule {
    FS: {
      readFile(path: string): Uint8Array;
      writeFile(path: string, data: string | Uint8Array): void;
    };
  }
  export interface ESpeakNgOptions {
    arguments: string[];
    thisProgram?: string;
    print?: (line: string) => void;
    printErr?: (line: string) => void;
    /** exit(): must throw `toThrow` to unwind; the default also sets process.exitCode. */
    quit?: (status: number, toThrow: unknown) => never;
    preRun?: ((module: ESpeakNgModule) => void)[];
    /** Instantiate from an already compiled module (Emscripten's hook); answer `{}` for "asynchronously". */
    /** WebAssembly's imports and instance; typed loosely since the project's lib has no WebAssembly types. */
    instantiateWasm?: (imports: object, ready: (instance: object) => void) => object;
  }
  export default function ESpeakNg(options: ESpeakNgOptions): Promise<ESpeakNgModule>;
}
