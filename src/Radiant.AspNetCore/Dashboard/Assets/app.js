// Loads the page's module (named by the server in <body data-module>) and mounts it into #page.
import { mount } from './lib.js';

const module = document.body.dataset.module;
import(`./${module}`)
  .then(page => mount(page.default))
  .catch(error => {
    console.error(error);
    document.getElementById('page').textContent = 'This page could not be loaded.';
  });
