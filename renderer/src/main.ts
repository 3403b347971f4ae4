import { mount } from 'svelte';
import { z } from 'zod';
import App from './App.svelte';
import './app.css';

// The page's CSP forbids eval: without this, zod probes `new Function` on first use and the browser logs a
// CSP violation for it.
z.config({ jitless: true });

mount(App, { target: document.getElementById('app')! });
