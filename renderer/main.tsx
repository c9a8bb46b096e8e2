import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApi } from './bridge';
import { App } from './features/app/App';
import './styles.css';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App api={createApi()} />
    </StrictMode>,
  );
}
