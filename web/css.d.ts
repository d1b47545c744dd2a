/** CSS files the bundler pulls in with the page (esbuild writes them to assets/main.css). */
declare module '*.css';
